"""The isolated-sign models: shapes, padding invariance, bad configuration."""

import pytest
import torch

from fslib.islr.models import ModelConfig, build_model


@pytest.mark.parametrize("kind", ["lstm", "bilstm", "transformer"])
def test_padding_does_not_change_a_clips_output(kind):
    torch.manual_seed(0)
    model = build_model(kind=kind, in_dim=12, classes=5, hidden=16, layers=2, heads=2).eval()
    x = torch.randn(1, 7, 12)
    alone = model(x, torch.tensor([7]))
    padded = torch.cat([x, torch.randn(1, 5, 12) * 100], 1)  # garbage in the padding
    other = torch.randn(1, 12, 12)
    batch = model(torch.cat([padded, other]), torch.tensor([7, 12]))
    assert batch.shape == (2, 5)
    assert torch.allclose(batch[0], alone[0], atol=1e-5)


def test_bidirectional_reads_both_directions_and_config_errors():
    torch.manual_seed(0)
    uni = build_model(kind="lstm", in_dim=6, classes=3, hidden=8)
    bi = build_model(kind="bilstm", in_dim=6, classes=3, hidden=8)
    assert bi.head.in_features == 16 and uni.head.in_features == 8
    with pytest.raises(ValueError, match="unknown ISLR model kind 'gru'"):
        ModelConfig(kind="gru")
    with pytest.raises(ValueError, match="dropout"):
        ModelConfig(dropout=1.0)
