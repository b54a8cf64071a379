# Save and load the model: a state dict written with torch.save and read back with
# torch.load(weights_only=True) into a fresh model in eval mode; an MLP in place of VGG16
# (pytorch/tutorials, beginner_source/basics/saveloadrun_tutorial).
import torch
from torch import nn


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(8*8, 32),
            nn.ReLU(),
            nn.Linear(32, 10),
        )

    def forward(self, x):
        return self.linear_relu_stack(self.flatten(x))


model = NeuralNetwork()
torch.save(model.state_dict(), 'model_weights.pth')

model2 = NeuralNetwork()  # created with other (random) weights
model2.load_state_dict(torch.load('model_weights.pth', weights_only=True))
model2.eval()

x = torch.rand(2, 1, 8, 8)
same = torch.equal(model(x), model2(x))
print(f"Same outputs after loading: {same}")
print(model2)
