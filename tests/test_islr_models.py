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


def per_step_outputs(model, x, lengths):
    """The recurrent layer's output at every time step ``(B, T, H)``, caught on its way through the model's own
    forward (packing included)."""
    caught = []
    hook = model.temporal.register_forward_hook(lambda module, args, out: caught.append(out[0]))
    with torch.no_grad():
        model(x, lengths)
    hook.remove()
    return torch.nn.utils.rnn.pad_packed_sequence(caught[0], batch_first=True, total_length=x.shape[1])[0]


def test_bidirectional_reads_both_directions_and_config_errors():
    torch.manual_seed(0)
    uni = build_model(kind="lstm", in_dim=6, classes=3, hidden=8, layers=2).eval()
    bi = build_model(kind="bilstm", in_dim=6, classes=3, hidden=8, layers=2).eval()
    bi1 = build_model(kind="bilstm", in_dim=6, classes=3, hidden=8, layers=1).eval()
    assert bi.head.in_features == 16 and uni.head.in_features == 8
    # Change only the last valid frame of a clip (padding follows it). A bidirectional model's output at the
    # first frame has read the whole clip backwards, so it changes; a unidirectional one's has read frame 0 only.
    x = torch.randn(1, 9, 6)
    y = x.clone()
    y[0, 6] += 3.0
    lengths = torch.tensor([7])
    first = {}
    for name, model in (("uni", uni), ("bi", bi), ("bi1", bi1)):
        a, b = per_step_outputs(model, x, lengths), per_step_outputs(model, y, lengths)
        assert a.shape == (1, 9, 8 if name == "uni" else 16)
        first[name] = (a[0, 0] - b[0, 0]).abs().max().item()
        if name == "uni":  # no output before the changed frame moves
            assert torch.allclose(a[0, :6], b[0, :6], atol=1e-6)
        if name == "bi1":  # one layer: its forward half stays put before the change, its backward half moves
            assert torch.allclose(a[0, :6, :8], b[0, :6, :8], atol=1e-6)
            assert all(not torch.allclose(a[0, t, 8:], b[0, t, 8:], atol=1e-4) for t in range(7))
    assert first["uni"] < 1e-6 and first["bi"] > 1e-3 and first["bi1"] > 1e-3
    with pytest.raises(ValueError, match="unknown ISLR model kind 'gru'"):
        ModelConfig(kind="gru")
    with pytest.raises(ValueError, match="dropout"):
        ModelConfig(dropout=1.0)
