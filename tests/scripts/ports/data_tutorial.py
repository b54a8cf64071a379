# Datasets and DataLoaders: a custom Dataset with a transform and a one-hot target transform,
# iterated through a shuffling DataLoader; the bundled digits in place of FashionMNIST image
# files (pytorch/tutorials, basics/data_tutorial and transforms_tutorial).
import torch
from torch.utils.data import DataLoader, Dataset

from fastgrad.datasets import load_digits_split


class DigitsDataset(Dataset):
    def __init__(self, train=True, transform=None, target_transform=None):
        X_train, y_train, X_test, y_test = load_digits_split()
        self.images, self.labels = (X_train, y_train) if train else (X_test, y_test)
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        image = torch.from_numpy(self.images[idx].reshape(1, 8, 8))
        label = int(self.labels[idx])
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label


def one_hot(y):
    return torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(y), value=1)


training_data = DigitsDataset(train=True, target_transform=one_hot)
test_data = DigitsDataset(train=False)

labels_map = {i: str(i) for i in range(10)}
for i in range(1, 10):
    sample_idx = torch.randint(len(training_data), size=(1,)).item()
    img, label = training_data[sample_idx]
    print(labels_map[int(label.argmax())], img.squeeze().shape)

train_dataloader = DataLoader(training_data, batch_size=64, shuffle=True)
test_dataloader = DataLoader(test_data, batch_size=64, shuffle=True)

train_features, train_labels = next(iter(train_dataloader))
print(f"Feature batch shape: {train_features.size()}")
print(f"Labels batch shape: {train_labels.size()}")
img = train_features[0].squeeze()
label = train_labels[0]
print(f"Label: {label}")

test_features, test_labels = next(iter(test_dataloader))
print(f"Labels batch shape: {test_labels.size()} {test_labels.dtype}")
