"""Networks, initialisation and seeding, checked against the tutorial's published values."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from depthwidth.experiment import plan
from depthwidth.experiment.sizes import deep_sizes, hidden_width, n_parameters, shallow_sizes
from depthwidth.model import nets
from depthwidth.model.teacher import draw_teacher_and_data


def tutorial_make_mlp(n_in, width, depth):
    """The tutorial's ``make_MLP`` (tanh branch): depth Linear layers without bias."""
    layers = [nn.Linear(n_in, width, bias=False), nn.Tanh()]
    for _ in range(depth - 2):
        layers += [nn.Linear(width, width, bias=False), nn.Tanh()]
    layers.append(nn.Linear(width, 1, bias=False))
    return nn.Sequential(*layers)


def test_parameter_counts_match_the_tutorial():
    assert n_parameters(deep_sizes(10, 3, 2)) == 33  # the tutorial's get_num_params(10, 3, 2)
    assert n_parameters(deep_sizes(5, 5, 5)) == 105
    assert [n_parameters(shallow_sizes(5, w)) for w in (5, 15, 45, 135)] == [30, 90, 270, 810]


def test_a_nets_width_is_its_widest_hidden_layer_and_zero_for_a_linear_map():
    assert hidden_width(shallow_sizes(5, 45)) == 45
    assert hidden_width([5, 8, 3, 1]) == 8
    assert hidden_width([5, 1]) == 0  # the linear reference of the sweep's tables


def test_first_weight_is_the_tutorials_checkpoint():
    # net = make_MLP(10, 3, 2); set_seed(42); initialize_layers(net, 1) -> 0.6093441247940063
    weights = nets.empty_weights(deep_sizes(10, 3, 2))
    nets.normal_init_(weights, 1.0, nets.generator(42))
    assert weights[0][0, 0].item() == 0.6093441247940063


def test_teacher_and_data_are_the_tutorials_number_for_number():
    torch.manual_seed(-1)
    net = tutorial_make_mlp(5, 5, 5)
    for p in net.parameters():
        nn.init.normal_(p, std=2 / np.sqrt(p.shape[1]))
    X_train = torch.randn(4000, 5)
    X_test = torch.randn(1000, 5)
    y_test = net(X_test).detach()

    weights, data = draw_teacher_and_data(deep_sizes(5, 5, 5), 2.0, -1, 4000, 1000, torch.float32)
    for ours, theirs in zip(weights, [p for p in net.parameters()]):
        assert torch.equal(ours, theirs.detach())
    assert np.array_equal(data["X_train"], X_train.numpy())
    assert np.array_equal(data["X_test"], X_test.numpy())
    assert np.array_equal(data["y_test"], y_test.numpy())
    assert data["X_test"][0, 0] == pytest.approx(0.19076240062713623, abs=0)  # the tutorial's assert
    assert data["y_test"].var(ddof=1) == pytest.approx(2.0480308532714844, rel=1e-6)


def test_quasilinear_teacher_shares_inputs_and_scales_weights():
    sizes = deep_sizes(5, 5, 5)
    chaotic, d_chaotic = draw_teacher_and_data(sizes, 2.0, -1, 40, 10, torch.float32)
    quasi, d_quasi = draw_teacher_and_data(sizes, 0.4, -1, 40, 10, torch.float32)
    assert np.array_equal(d_chaotic["X_test"], d_quasi["X_test"])
    for a, b in zip(chaotic, quasi):
        torch.testing.assert_close(b, a * 0.2)


def test_float64_targets_are_exact_for_the_float32_draws():
    sizes = deep_sizes(5, 5, 5)
    w32, d32 = draw_teacher_and_data(sizes, 2.0, 3, 50, 20, torch.float32)
    w64, d64 = draw_teacher_and_data(sizes, 2.0, 3, 50, 20, torch.float64)
    assert d64["y_test"].dtype == np.float64
    assert np.array_equal(d64["X_test"], d32["X_test"].astype(np.float64))
    np.testing.assert_allclose(d64["y_test"], d32["y_test"], rtol=1e-5, atol=1e-6)


def test_normal_init_has_std_sigma_over_sqrt_fan_in():
    w = nets.empty_weights([400, 300], torch.float64)
    nets.normal_init_(w, 2.0, nets.generator(0))
    assert w[0].std().item() == pytest.approx(2.0 / math.sqrt(400), rel=0.01)
    assert w[0].mean().item() == pytest.approx(0.0, abs=0.002)


def test_default_init_is_nn_linears():
    torch.manual_seed(5)
    layer = nn.Linear(7, 4, bias=False)
    w = nets.empty_weights([7, 4])
    nets.default_init_(w, nets.generator(5))
    assert torch.equal(w[0], layer.weight.detach())


def test_student_init_choice():
    sizes = shallow_sizes(5, 200)
    default = nets.make_student(sizes, "default", 2.0, nets.generator(1))
    teacher_like = nets.make_student(sizes, "teacher", 2.0, nets.generator(1))
    assert default[0].abs().max().item() <= 1 / math.sqrt(5)
    assert teacher_like[0].std().item() == pytest.approx(2 / math.sqrt(5), rel=0.05)
    with pytest.raises(ValueError, match="unknown student init 'xavier'"):
        nets.make_student(sizes, "xavier", 2.0, nets.generator(1))


def test_each_job_seed_is_stable_and_distinct():
    assert nets.derived_seed(-1, "shallow_w5") == nets.derived_seed(-1, "shallow_w5")
    seeds = {nets.derived_seed(s, n) for s in (-1, 0, 1) for n in ("deep", "shallow_w5", "shallow_w15")}
    assert len(seeds) == 9
    assert all(0 <= s < 2**63 for s in seeds)


@pytest.mark.parametrize("phi", ["tanh", "relu", "linear"])
def test_nonlinearities_apply(phi):
    x = torch.linspace(-3, 3, 13, dtype=torch.float64).reshape(-1, 1)
    weights = [torch.ones(1, 1, dtype=torch.float64), torch.ones(1, 1, dtype=torch.float64)]
    hidden = nets.activations(weights, x, phi)[1]
    expected = {"tanh": torch.tanh(x), "relu": x.clamp(min=0), "linear": x}[phi]
    torch.testing.assert_close(hidden, expected)
    torch.testing.assert_close(nets.forward(weights, x, phi), expected)


def test_unknown_nonlinearity_is_named():
    with pytest.raises(ValueError, match="unknown nonlinearity 'sigmoid'"):
        nets.forward([torch.ones(1, 1)], torch.ones(1, 1), "sigmoid")


def test_tutorial_seeding_replays_the_notebooks_students():
    from depthwidth.training.students import student_generator

    torch.manual_seed(-1)
    teacher = tutorial_make_mlp(5, 5, 5)
    for p in teacher.parameters():
        nn.init.normal_(p, std=2 / np.sqrt(p.shape[1]))
    torch.randn(4000, 5), torch.randn(1000, 5)
    deep = tutorial_make_mlp(5, 5, 5)  # the notebook's deep student, then its shallow ones by width
    shallow = {w: tutorial_make_mlp(5, w, 2) for w in (5, 15)}

    spec = {"sizes": deep_sizes(5, 5, 5), "sigma": 2.0, "n_train": 4000, "n_test": 1000}
    ours_deep = nets.make_student(spec["sizes"], "default", 2.0, student_generator("tutorial", -1, "deep", spec))
    before_w15 = [(spec["sizes"], "default"), (shallow_sizes(5, 5), "default")]
    g = student_generator("tutorial", -1, "shallow_w15", spec, before_w15)
    ours_w15 = nets.make_student(shallow_sizes(5, 15), "default", 2.0, g)
    for ours, theirs in zip(ours_deep, deep.parameters()):
        assert torch.equal(ours, theirs.detach())
    for ours, theirs in zip(ours_w15, shallow[15].parameters()):
        assert torch.equal(ours, theirs.detach())


def test_independent_seeding_ignores_other_students():
    from depthwidth.training.students import student_generator

    spec = {"sizes": deep_sizes(5, 5, 5), "sigma": 2.0, "n_train": 40, "n_test": 10}
    a = student_generator("independent", 3, "shallow_w15", spec, [(spec["sizes"], "default")])
    b = student_generator("independent", 3, "shallow_w15", spec, [])
    assert torch.equal(torch.rand(5, generator=a), torch.rand(5, generator=b))
    with pytest.raises(ValueError, match="unknown student seeding 'random'"):
        student_generator("random", 3, "deep", spec)


# --- seeds that cannot alias ---------------------------------------------------------------------


def first_numbers(g: torch.Generator) -> tuple[float, ...]:
    return tuple(torch.rand(4, generator=g, dtype=torch.float64).tolist())


def test_torch_keeps_only_32_bits_of_a_seed():
    """Why teacher seeds are 32-bit: manual_seed(-1) and manual_seed(2**63 - 1) are one stream."""

    def stream(s):
        return first_numbers(torch.Generator().manual_seed(s))

    assert stream(-1) == stream(2**63 - 1) == stream(2**32 - 1)
    assert stream(5) == stream(5 + 2**32)
    # within the schema's range (-2**31 .. 2**31 - 1) seeds keep their low 32 bits apart
    assert len({stream(s) for s in (-(2**31), -2, -1, 0, 1, 2**31 - 1)}) == 6


def test_derived_seeds_use_every_bit():
    """Derived seeds above 32 bits get a generator from all their bits: the old CRC-above-the-seed
    scheme gave every independent student of a teacher one of two streams."""
    a, b = nets.derived_seed(7, "shallow_w5"), nets.derived_seed(7, "shallow_w15")
    assert a & 0xFFFFFFFF != b & 0xFFFFFFFF or a != b
    assert first_numbers(nets.generator(a)) != first_numbers(nets.generator(b))
    # two seeds that agree in their low 32 bits still give two streams
    low = nets.DERIVED_MIN + 12345
    assert first_numbers(nets.generator(low)) != first_numbers(nets.generator(low + 2**32))
    assert nets.generator(a).initial_seed() == a
    with pytest.raises(ValueError, match="out of range"):
        nets.generator(-(2**31) - 1)


def test_seed_minus_one_is_still_the_tutorials():
    assert first_numbers(nets.generator(-1)) == first_numbers(torch.Generator().manual_seed(-1))


def test_every_stream_of_the_study_is_distinct():
    """Teachers per seed, independent students per (seed, student) and restarts: no two streams of
    configs/study.yaml over config.yaml begin alike. Regimes share a seed's streams by design: the
    tutorial's regimes draw the same inputs, and students the same initial weights (common random
    numbers across sigma), under either student_seeding."""
    import yaml
    from conftest import REPO, merged

    from depthwidth.experiment.config import validate

    config = merged(
        yaml.safe_load((REPO / "config.yaml").read_text()),
        yaml.safe_load((REPO / "configs" / "study.yaml").read_text()),
    )
    validate(config)
    regimes = {**config["regimes"], **plan.sweep_regimes(config)}
    students = sorted({name for spec in regimes.values() for name in plan.regime_students(spec)})
    streams = {}
    for seed in config["seeds"]:
        streams[("teacher", seed)] = first_numbers(nets.generator(seed))
        for name in students:
            streams[("student", seed, name)] = first_numbers(nets.generator(nets.derived_seed(seed, name)))
            for k in range(3):
                key = ("restart", seed, name, k)
                streams[key] = first_numbers(nets.generator(nets.derived_seed(seed, name, "restart", k)))
    assert len(students) == 10 and len(streams) == 5 * (1 + 10 * 4)  # 200 streams
    assert len(set(streams.values())) == len(streams)
