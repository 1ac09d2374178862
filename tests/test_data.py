"""Datasets on real data: the compositional toy, MNIST (bundled and IDX files), Fashion-MNIST, inversion."""

from __future__ import annotations

import gzip
import struct
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from yatbench.core.errors import UserError
from yatbench.data._images import BUNDLED_SOURCE, read_bundled_mnist
from yatbench.data.compositional import CompositionalConfig
from yatbench.data.image_sources import DATA_DIR_ENV
from yatbench.data.inversion import PIXEL_INVERTED, SIGN_INVERTED, InversionConfig
from yatbench.data.mnist import FashionMnistConfig, MnistConfig
from yatbench.measures.inversion import weight_negation

FASHION_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")


# -- compositional -----------------------------------------------------------------------------

def test_compositional_shapes_and_task() -> None:
    s = CompositionalConfig().load(0)
    assert s.x_train.shape == (640, 2) and s.x_val.shape == (160, 2) and s.x_test.shape == (200, 2)
    assert s.y_train.shape == (640, 1) and s.y_val.shape == (160, 1) and s.y_test.shape == (200, 1)
    assert s.x_train.dtype == s.y_train.dtype == torch.float32
    assert (s.task, s.in_features, s.out_features) == ("regression", 2, 1)
    assert s.source == "synthetic:compositional"
    # raw inputs by default: both in [0, 5)
    both = torch.cat([s.x_train, s.x_test])
    assert both.min() >= 0 and both.max() < 5


def test_compositional_is_deterministic_per_seed() -> None:
    a, b, c = CompositionalConfig().load(3), CompositionalConfig().load(3), CompositionalConfig().load(4)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    assert not torch.equal(a.x_train, c.x_train)


@pytest.mark.parametrize("slopes", [[-2.0, -1.0, 0.5, 1.5, 3.0], [4.0, -0.5, 1.0]])
def test_compositional_recovers_each_slope(slopes: list[float]) -> None:
    cfg = CompositionalConfig(slopes=slopes, n=20_000)
    s = cfg.load(1)
    x, y = torch.cat([s.x_train, s.x_test]).unbind(1)
    z = torch.cat([s.y_train, s.y_test]).squeeze(1)
    k = cfg.band(y)
    assert set(k.tolist()) == set(range(len(slopes)))
    for band, slope in enumerate(slopes):
        xb, zb = x[k == band], z[k == band]
        fitted = (xb @ zb / (xb @ xb)).item()  # least squares through the origin
        assert fitted == pytest.approx(slope, abs=0.03)
    if len(slopes) == 5:  # five laws: k = ⌊y⌋
        assert torch.equal(k, torch.floor(y).long().clamp(max=4))


def test_compositional_noise_level() -> None:
    cfg = CompositionalConfig(n=20_000, noise_frac=0.1)
    s = cfg.load(2)
    x, y = torch.cat([s.x_train, s.x_test]).unbind(1)
    z = torch.cat([s.y_train, s.y_test]).squeeze(1)
    clean = torch.tensor(cfg.slopes)[cfg.band(y)] * x
    assert ((z - clean).std() / clean.std()).item() == pytest.approx(0.1, rel=0.05)
    exact = CompositionalConfig(noise_frac=0.0).load(2)
    xe, ye = exact.x_train.unbind(1)
    assert torch.allclose(exact.y_train.squeeze(1), torch.tensor(cfg.slopes)[cfg.band(ye)] * xe)


def test_compositional_standardize_uses_train_statistics() -> None:
    raw = CompositionalConfig().load(5)
    std = CompositionalConfig(standardize=True).load(5)
    assert torch.allclose(std.x_train.mean(0), torch.zeros(2), atol=1e-5)
    assert torch.allclose(std.x_train.std(0), torch.ones(2), atol=1e-5)
    expected = (raw.x_test - raw.x_train.mean(0)) / raw.x_train.std(0)
    assert torch.allclose(std.x_test, expected, atol=1e-5)
    assert torch.equal(std.y_train, raw.y_train)


@pytest.mark.parametrize("options", [
    {"slopes": []}, {"slopes": ["a"]}, {"n": 5}, {"noise_frac": -0.1}, {"test_fraction": 1.0},
    {"standardize": "yes"},
])
def test_compositional_rejects_bad_options(options: dict) -> None:
    with pytest.raises(UserError) as err:
        CompositionalConfig(**options)
    assert err.value.exit_code == 2 and "\n" not in err.value.message


# -- bundled MNIST -----------------------------------------------------------------------------

def test_bundled_mnist_split(tmp_path: Path) -> None:
    s = MnistConfig(source="bundled", data_dir=str(tmp_path)).load(0)
    assert s.x_train.shape == (3600, 784) and s.x_val.shape == (400, 784) and s.x_test.shape == (1000, 784)
    assert s.x_train.dtype == torch.float32 and s.y_train.dtype == torch.int64
    assert torch.equal(s.y_train.bincount(), torch.full((10,), 360))
    assert torch.equal(s.y_val.bincount(), torch.full((10,), 40))
    assert torch.equal(s.y_test.bincount(), torch.full((10,), 100))
    assert s.x_train.min() == 0 and s.x_train.max() == 1 and s.x_test.min() >= 0 and s.x_test.max() <= 1
    assert (s.task, s.in_features, s.out_features, s.image_shape) == ("classification", 784, 10, (28, 28))
    assert s.source == BUNDLED_SOURCE and s.notes == [] and s.preprocess == "none"
    # train, validation and test together are the 5 000 images, each once (compared by per-image pixel sums)
    x, _ = read_bundled_mnist()
    together = torch.cat([s.x_train, s.x_val, s.x_test]).mul(255).round().sum(1).sort().values
    assert torch.equal(together, x.double().sum(1).sort().values.float())
    # the shuffle mixes classes (the file is sorted by class)
    assert len(set(s.y_train[:50].tolist())) > 5


def test_bundled_mnist_is_the_same_for_every_seed_and_cache_safe() -> None:
    a = MnistConfig(source="bundled").load(0)
    a.x_train += 1.0  # callers may change what they get without touching the cache
    a.y_train[:] = 0
    b, c = MnistConfig(source="bundled").load(0), MnistConfig(source="bundled").load(7)
    assert b.x_train.max() == 1 and len(b.y_train.unique()) == 10
    assert torch.equal(b.x_train, c.x_train) and torch.equal(b.y_test, c.y_test)


def test_centering_subtracts_the_train_mean() -> None:
    raw = MnistConfig(source="bundled").load(0)
    s = MnistConfig(source="bundled", preprocess="center").load(0)
    assert s.x_train.mean(0).abs().max() < 1e-5
    assert s.preprocess == "center"
    assert torch.allclose(s.x_train, raw.x_train - raw.x_train.mean(0))
    assert torch.allclose(s.x_test, raw.x_test - raw.x_train.mean(0))


def test_max_train_and_max_test_take_balanced_fixed_subsets() -> None:
    s = MnistConfig(source="bundled", max_train=95, max_test=20).load(0)
    assert s.x_train.shape == (85, 784) and s.x_val.shape == (10, 784) and s.x_test.shape == (20, 784)
    counts = s.y_train.bincount(minlength=10)
    assert counts.max() - counts.min() <= 1
    assert torch.equal(s.y_test.bincount(minlength=10), torch.full((10,), 2))
    again = MnistConfig(source="bundled", max_train=95, max_test=20).load(9)
    assert torch.equal(s.x_train, again.x_train)
    big = MnistConfig(source="bundled", max_train=10_000).load(0)
    assert len(big.y_train) + len(big.y_val) == 4000 and any("max_train" in note for note in big.notes)


def test_auto_falls_back_to_bundled_with_a_note(tmp_path: Path) -> None:
    s = MnistConfig(source="auto", data_dir=str(tmp_path)).load(0)
    assert s.source == BUNDLED_SOURCE and len(s.y_train) == 3600
    assert len(s.notes) == 1 and "bundled" in s.notes[0] and str(tmp_path) in s.notes[0]


def test_torchvision_source_without_files_is_a_runtime_error(tmp_path: Path) -> None:
    with pytest.raises(UserError) as err:
        MnistConfig(source="torchvision", data_dir=str(tmp_path)).load(0)
    assert err.value.exit_code == 1
    message = err.value.message
    assert str(tmp_path / "MNIST" / "raw") in message and "train-images-idx3-ubyte" in message
    assert "download=true" in message and "source=bundled" in message and "\n" not in message


def test_bundled_read_does_not_import_sklearn() -> None:
    code = ("import sys; from yatbench.data.mnist import MnistConfig; "
            "MnistConfig(source='bundled').load(0); print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- IDX files (torchvision's layout) ----------------------------------------------------------

def _idx(array: torch.Tensor) -> bytes:
    header = struct.pack(">BBBB", 0, 0, 0x08, array.dim()) + struct.pack(f">{array.dim()}I", *array.shape)
    return header + array.to(torch.uint8).numpy().tobytes()


def write_idx_set(folder: Path, n_train: int = 30, n_test: int = 10, gz: bool = False,
                  seed: int = 0) -> tuple[torch.Tensor, ...]:
    """Write a tiny MNIST-shaped IDX quartet into ``folder``; return what it holds."""
    gen = torch.Generator().manual_seed(seed)
    folder.mkdir(parents=True, exist_ok=True)
    data = (torch.randint(0, 256, (n_train, 28, 28), generator=gen), torch.arange(n_train) % 10,
            torch.randint(0, 256, (n_test, 28, 28), generator=gen), torch.arange(n_test) % 10)
    names = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
             "t10k-labels-idx1-ubyte")
    for name, array in zip(names, data, strict=True):
        if gz:
            with gzip.open(folder / f"{name}.gz", "wb") as handle:
                handle.write(_idx(array))
        else:
            (folder / name).write_bytes(_idx(array))
    return data


@pytest.mark.parametrize("source", ["torchvision", "auto"])
@pytest.mark.parametrize("gz", [False, True])
def test_idx_files_are_read(tmp_path: Path, source: str, gz: bool) -> None:
    folder = tmp_path / "MNIST" / "raw"
    x_train, y_train, x_test, y_test = write_idx_set(folder, gz=gz)
    s = MnistConfig(source=source, data_dir=str(tmp_path)).load(0)
    assert s.source == f"torchvision:{folder}"
    # the training images are the file's, less the validation images held out of them (in the file's order)
    keep = sorted(set(range(len(y_train))) - {index_of(x_train, image) for image in s.x_val})
    assert len(keep) == len(s.y_train) == len(y_train) - len(s.y_val) > 0
    assert torch.equal(s.x_train, x_train[keep].reshape(-1, 784).float() / 255)
    assert torch.equal(s.y_train, y_train[keep]) and torch.equal(s.y_test, y_test)
    assert torch.equal(s.x_test, x_test.reshape(-1, 784).float() / 255)
    assert (s.notes != []) == (source == "auto")


def index_of(images: torch.Tensor, image: torch.Tensor) -> int:
    """The position of ``image`` (784 values in [0, 1]) among the uint8 ``images`` (n, 28, 28)."""
    (match,) = (images.reshape(len(images), -1).float() / 255 == image).all(1).nonzero().flatten().tolist()
    return match


def test_data_dir_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_idx_set(tmp_path / "MNIST" / "raw", n_train=20)
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    s = MnistConfig(max_train=10).load(0)
    assert s.source == f"torchvision:{tmp_path / 'MNIST' / 'raw'}"
    assert torch.equal(torch.cat([s.y_train, s.y_val]).sort().values, torch.arange(10))


def test_replaced_idx_files_are_reread(tmp_path: Path) -> None:
    folder = tmp_path / "MNIST" / "raw"
    write_idx_set(folder, n_train=20, seed=0)
    first = MnistConfig(data_dir=str(tmp_path)).load(0)
    write_idx_set(folder, n_train=40, seed=1)
    again = MnistConfig(data_dir=str(tmp_path)).load(0)
    assert len(again.y_train) + len(again.y_val) == 40 != len(first.y_train) + len(first.y_val)


def test_broken_idx_file_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "MNIST" / "raw"
    write_idx_set(folder)
    (folder / "train-images-idx3-ubyte").write_bytes(b"not an idx file at all")
    with pytest.raises(UserError) as err:
        MnistConfig(data_dir=str(tmp_path)).load(0)
    assert err.value.exit_code == 1 and "train-images-idx3-ubyte" in err.value.message


# -- Fashion-MNIST -----------------------------------------------------------------------------

def test_fashion_mnist_reads_its_own_folder(tmp_path: Path) -> None:
    write_idx_set(tmp_path / "MNIST" / "raw", n_train=20)
    _, y_train, _, _ = write_idx_set(tmp_path / "FashionMNIST" / "raw", n_train=30, gz=True)
    s = FashionMnistConfig(data_dir=str(tmp_path), preprocess="center").load(0)
    assert s.source == f"torchvision:{tmp_path / 'FashionMNIST' / 'raw'}"
    assert torch.equal(torch.cat([s.y_train, s.y_val]).sort().values, y_train.sort().values)
    assert s.x_train.mean(0).abs().max() < 1e-5


def test_fashion_mnist_has_no_bundled_subset() -> None:
    with pytest.raises(UserError) as err:
        FashionMnistConfig(source="bundled")
    assert err.value.exit_code == 2 and "auto, torchvision" in err.value.message


@pytest.mark.skipif(FASHION_SYSTEM_DIR.is_dir(), reason="Debian's dataset-fashion-mnist is installed here")
def test_fashion_mnist_without_files_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(UserError) as err:
        FashionMnistConfig(source="auto", data_dir=str(tmp_path)).load(0)
    assert err.value.exit_code == 1
    assert str(tmp_path / "FashionMNIST" / "raw") in err.value.message
    assert str(FASHION_SYSTEM_DIR) in err.value.message and "dataset-fashion-mnist" in err.value.message


@pytest.mark.parametrize("options", [
    {"source": "kaggle"}, {"max_train": -1}, {"max_test": 0}, {"max_train": 2.5}, {"preprocess": "yes"},
    {"download": 1},
])
def test_mnist_rejects_bad_options(options: dict) -> None:
    for cls in (MnistConfig, FashionMnistConfig, InversionConfig):
        with pytest.raises(UserError) as err:
            cls(**options)
        assert err.value.exit_code == 2 and "\n" not in err.value.message


def test_unknown_source_names_the_choices() -> None:
    with pytest.raises(UserError, match="auto, torchvision, bundled"):
        MnistConfig(source="kaggle")


# -- inversion ---------------------------------------------------------------------------------

def test_inversion_eval_sets() -> None:
    options = {"source": "bundled", "max_train": 500, "max_test": 200}
    raw = MnistConfig(preprocess="none", **options).load(0)
    s = InversionConfig(**options).load(0)
    assert InversionConfig().preprocess == "center" and s.source == BUNDLED_SOURCE
    mean = raw.x_train.mean(0)
    assert torch.allclose(s.x_test, raw.x_test - mean) and torch.equal(s.y_test, raw.y_test)
    assert set(s.eval_sets) == {PIXEL_INVERTED, SIGN_INVERTED}
    pixel_x, pixel_y = s.eval_sets[PIXEL_INVERTED]
    sign_x, sign_y = s.eval_sets[SIGN_INVERTED]
    assert torch.allclose(pixel_x, (1 - raw.x_test) - mean, atol=1e-6)
    assert torch.equal(sign_x, -s.x_test)
    assert torch.equal(pixel_y, s.y_test) and torch.equal(sign_y, s.y_test)
    assert weight_negation.applies(weight_negation.given({"data": s}))  # the model-side inversion, w → −w


def test_inversion_without_centering() -> None:
    s = InversionConfig(source="bundled", preprocess="none", max_test=50).load(0)
    assert torch.equal(s.eval_sets[PIXEL_INVERTED][0], 1 - s.x_test)
    assert torch.equal(s.eval_sets[SIGN_INVERTED][0], -s.x_test)


def test_mnist_has_no_eval_sets() -> None:
    plain = MnistConfig(source="bundled").load(0)
    assert plain.eval_sets == {} and not weight_negation.applies(weight_negation.given({"data": plain}))


# -- configs -----------------------------------------------------------------------------------

@pytest.mark.parametrize("stem, cls", [("compositional", CompositionalConfig), ("mnist", MnistConfig),
                                       ("fashion_mnist", FashionMnistConfig), ("inversion", InversionConfig)])
def test_dataset_yaml_builds_its_dataclass_with_its_defaults(stem: str, cls: type) -> None:
    from yatbench.config.compose import compose_config
    from yatbench.config.spec import build_node

    built = build_node(compose_config([f"dataset={stem}"]).dataset, "dataset")
    assert type(built) is cls and built.name == stem
    assert built == cls()  # the YAML states the dataclass defaults, nothing else
