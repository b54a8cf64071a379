"""fastgrad.utils.data: datasets, samplers and the DataLoader (torch.utils.data's names)."""
from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                      SubsetRandomSampler)
from ...distributed.sampler import DistributedSampler  # MPI is imported only when it is used

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split", "DataLoader",
           "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "BatchSampler", "DistributedSampler", "default_collate", "default_convert"]
