"""Train a small MLP on the bundled digits with fastgrad, the way you would with PyTorch."""
import fastgrad as fg
from fastgrad import nn, optim
from fastgrad.data import DataLoader, TensorDataset
from fastgrad.datasets import load_digits_split

fg.manual_seed(0)
# shuffled, 25 % held out, standardised by the training images' statistics
X_train, y_train, X_test, y_test = load_digits_split(seed=0)

model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
opt = optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True, seed=0)

for epoch in range(20):
    for xb, yb in loader:
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()

with fg.no_grad():
    accuracy = (model(X_test).argmax(dim=1).numpy() == y_test).mean()
print(f"test accuracy {accuracy:.3f}")
fg.save(model.state_dict(), "digits_mlp.safetensors")
