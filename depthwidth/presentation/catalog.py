"""Every figure of the workflow, each declared once: what it reads, when a config makes it, its
place and label in the report, its script's parameters and the numbers its caption quotes.

``workflow/rules/figures.smk`` makes one rule per entry of :data:`FIGURES` from this declaration
(rule ``<rule>``, script ``scripts/<rule>.py``, caption ``workflow/report/<name>.rst``, files
``results/figures/<name>.{png,pdf[,tsv]}``), and the named targets (``all``, ``tutorial``, ``study``,
``figures``) list the figures a config makes from it. Adding a figure is an entry here, its script
and its caption (docs/howto.md). Drawings shared by several figures live in ``figures``,
the caption numbers in ``captions``; a figure of its own may draw in its script.

Torch-free and cheap to import: Snakemake reads it while it plans.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from depthwidth.experiment import paths, plan
from depthwidth.experiment.sizes import hidden_width
from depthwidth.experiment.targets import Targets
from depthwidth.presentation import captions

Inputs = dict[str, str | list[str]]  # a name, and one file or a list


@dataclass(frozen=True)
class Figure:
    """One figure: the files ``results/figures/<name>.*`` and the rule ``<rule>`` that draws them."""

    name: str
    rule: str  # also its script: scripts/<rule>.py
    category: str  # the report's category
    title: str  # its label in the report's table
    needs: str  # what a config needs to make it (said when it is asked for and not made)
    made: Callable[[Targets], bool]  # whether the config makes it
    inputs: Callable[[Targets], Inputs]  # the files its script reads, by name
    params: Callable[[Targets], dict[str, Any]]  # its script's parameters (the config's xkcd is added)
    # the numbers its caption quotes, from the targets and the job's input and output files
    caption: Callable[[Targets, Any, Any], Any]
    regimes: Callable[[Targets], Sequence[str]]  # its "regime" label: regimes or short texts
    width: Callable[[Targets], str | None] = field(default=lambda t: None)  # its "width" label
    table: bool = True  # writes <name>.tsv, the numbers it plots

    def outputs(self) -> dict[str, str]:
        exts = ("png", "pdf", "tsv") if self.table else ("png", "pdf")
        return {ext: paths.figure(self.name, ext) for ext in exts}


# --- labels ---------------------------------------------------------------------------------------


def regimes_text(t: Targets, regimes: Sequence[str]) -> str:
    """Regimes as the report's table names them, short so that the figures keep their width: the
    tutorial's by name, a sweep's by their σ_w ("σ_w = 0.5, 1, 2"; a range beyond four values),
    not by their internal names (depth5_sigma0.50, ...)."""
    named = [r for r in regimes if r in t.named or r not in t.regimes]
    sigmas = sorted({float(t.regimes[r]["sigma"]) for r in regimes if r not in named})
    if len(sigmas) > 4:
        named.append(f"σ_w = {sigmas[0]:g} to {sigmas[-1]:g} ({len(sigmas)} values)")
    elif sigmas:
        named.append("σ_w = " + ", ".join(f"{s:g}" for s in sigmas))
    return ", ".join(named) or "none"


def labels(t: Targets, title: str, regimes: Sequence[str], width: str | None = None) -> dict[str, str]:
    """A figure's labels in the report's table of results."""
    out = {"figure": title, "regime": regimes_text(t, regimes)}
    if width is not None:
        out["width"] = width
    return out


def _widths(t: Targets, regimes: Sequence[str]) -> str:
    return "; ".join(", ".join(map(str, t.regimes[r]["shallow_widths"])) for r in regimes) or "none"


def _sweep_widths(t: Targets) -> str:
    return ", ".join(map(str, t.config["sweep"]["shallow_widths"]))


def _sweep_shallow(t: Targets) -> list[str]:
    return [paths.shallow_student(w) for w in t.config["sweep"]["shallow_widths"]]


def _budget_widths(t: Targets) -> str:
    """The equal-budget students' widths, with their depths (layers counting the input)."""
    teacher = {**t.config["teacher"], "depth": t.sigma_depth}
    sizes = [plan.student_sizes(s, teacher) for s in t.budget_students]
    if not sizes:
        return "none"
    return f"{', '.join(str(hidden_width(s)) for s in sizes)} (depths {', '.join(str(len(s) - 1) for s in sizes)})"


def _named_sigmas(t: Targets) -> dict[str, float]:
    return {name: spec["sigma"] for name, spec in t.named.items()}


def _sweep_sigmas(t: Targets) -> dict[str, float]:
    return {r: spec["sigma"] for r, spec in t.sigma_regimes.items()}


def _theory_range(t: Targets) -> str:
    return f"σ_w {t.config['theory']['sigma_min']:g}–{t.config['theory']['sigma_max']:g}"


def _depths(t: Targets) -> list[str]:
    return ["depths " + ", ".join(map(str, t.sweep_depths))]


def _tanh(t: Targets) -> bool:
    return t.config["nonlinearity"] == "tanh"


def _depth_sweep(t: Targets) -> bool:
    return len(t.sweep_depths) > 1


# --- the figures ----------------------------------------------------------------------------------

TUTORIAL = [
    Figure(
        name="predictions",
        rule="figure_predictions",
        category="Tutorial",
        title="(c) predictions",
        needs="nothing",
        made=lambda t: True,
        inputs=lambda t: {
            "weights": t.widest_files("student.pt"),
            "metrics": t.widest_files("metrics.json"),
            "data": [paths.teacher_file("data.npz", r, t.seeds[0]) for r in t.named],
        },
        params=lambda t: {"nonlinearity": t.config["nonlinearity"]},
        caption=lambda t, input, output: captions.predictions(input.metrics),
        regimes=lambda t: list(t.named),
        width=lambda t: "; ".join(str(max(s["shallow_widths"])) for s in t.named.values()),
        table=False,
    ),
    Figure(
        name="deep_loss",
        rule="figure_deep_loss",
        category="Tutorial",
        title="(a) deep student's training",
        needs="a named regime with deep_student: true",
        made=lambda t: bool(t.deep_regimes(t.named)),
        inputs=lambda t: {"loss": t.deep_files("loss.npz"), "metrics": t.deep_files("metrics.json")},
        params=lambda t: {
            "steps_per_phase": t.config["deep"]["steps_per_phase"],
            "lr_decay": t.config["deep"]["lr_decay"],
        },
        caption=lambda t, input, output: captions.deep_loss(input.metrics),
        regimes=lambda t: t.deep_regimes(t.named),
        width=lambda t: f"{t.config['teacher']['width']} (deep)",
        table=False,
    ),
    Figure(
        name="error_vs_width",
        rule="figure_error_vs_width",
        category="Tutorial",
        title="(b) error against width",
        needs="a named regime with at least two shallow_widths",
        made=lambda t: bool(t.fitted_regimes(t.named)),
        inputs=lambda t: {
            "metrics": t.student_files("metrics.json", t.fitted_regimes(t.named), shallow=True),
            "fits": t.scaling_fits(t.named),
            "deep": t.deep_files("metrics.json", t.fitted_regimes(t.named)),
        },
        params=lambda t: {"target_error": t.config["scaling"]["target_error"]},
        caption=lambda t, input, output: captions.error_vs_width(input.fits, input.deep),
        regimes=lambda t: t.fitted_regimes(t.named),
        width=lambda t: _widths(t, t.fitted_regimes(t.named)),
        table=False,
    ),
]

STUDY = [
    Figure(
        name="mean_field",
        rule="mean_field",
        category="Transition",
        title="mean-field theory",
        needs="nonlinearity: tanh",
        made=_tanh,
        inputs=lambda t: {},
        # only its own keys: the phase diagram's settings share the section
        params=lambda t: {"grid": {k: t.config["theory"][k] for k in ("sigma_min", "sigma_max", "points")}},
        caption=lambda t, input, output: captions.mean_field(output.tsv, _named_sigmas(t)),
        regimes=lambda t: [_theory_range(t)],
    ),
    Figure(
        name="phase_diagram",
        rule="phase_diagram",
        category="Transition",
        title="phase diagram",
        needs="nonlinearity: tanh",
        made=_tanh,
        inputs=lambda t: {},
        # keys in a fixed order: a config file listing them in another must not rerun the job
        params=lambda t: {
            "grid": {
                k: t.config["theory"][k]
                for k in ("sigma_min", "sigma_max", "phase_sigma_w_points", "sigma_b_max", "sigma_b_points")
            },
            "simulation": dict(sorted(t.config["theory"]["simulation"].items())),
            "teachers": _named_sigmas(t),
        },
        caption=lambda t, input, output: captions.phase_diagram(output.tsv, _named_sigmas(t)),
        regimes=lambda t: [f"{_theory_range(t)}, σ_b 0–{t.config['theory']['sigma_b_max']:g}"],
        width=lambda t: str(t.config["theory"]["simulation"]["width"]),
    ),
    Figure(
        name="trajectory_length",
        rule="figure_trajectory_length",
        category="Transition",
        title="circle length against depth",
        needs="nonlinearity: tanh",
        made=_tanh,
        inputs=lambda t: {"lengths": paths.expressivity("length_vs_depth.tsv")},
        params=lambda t: {"width": t.config["expressivity"]["width"], "nonlinearity": t.config["nonlinearity"]},
        caption=lambda t, input, output: captions.trajectory_length(output.tsv),
        regimes=lambda t: ["σ_w = " + ", ".join(f"{s:g}" for s in t.config["expressivity"]["length_sigmas"])],
        width=lambda t: str(t.config["expressivity"]["width"]),
    ),
    Figure(
        name="sweep_error",
        rule="figure_sweep_error",
        category="Transition",
        title="error against sigma",
        needs="a `sweep` section with sigmas (e.g. --configfile configs/study.yaml)",
        made=lambda t: bool(t.sweep),
        inputs=lambda t: {
            "metrics": t.student_files("metrics.json", t.sigma_regimes),
            "linear": t.linear_files(),
        },
        params=lambda t: {"sigmas": _sweep_sigmas(t), "shallow": _sweep_shallow(t)},
        caption=lambda t, input, output: captions.sweep_error(output.tsv, [*_sweep_shallow(t), "deep", "linear"]),
        regimes=lambda t: list(t.sigma_regimes),
        width=_sweep_widths,
    ),
    Figure(
        name="equal_budget",
        rule="figure_equal_budget",
        category="Transition",
        title="depth at an equal budget",
        needs="a `sweep` section with sigmas and budget_depths (configs/study.yaml)",
        made=lambda t: bool(t.sweep and t.budget_students),
        inputs=lambda t: {
            "metrics": t.student_files("metrics.json", t.sigma_regimes)
            + t.restart_files("metrics.json", t.sigma_regimes),
            "linear": t.linear_files(),
        },
        params=lambda t: {"sigmas": _sweep_sigmas(t), "budget_students": t.budget_students},
        caption=lambda t, input, output: captions.equal_budget(output.tsv, t.budget_students),
        regimes=lambda t: list(t.sigma_regimes),
        width=_budget_widths,
    ),
    Figure(
        name="sweep_scaling",
        rule="figure_sweep_scaling",
        category="Transition",
        title="scaling fits against sigma",
        needs="a `sweep` section with sigmas and at least two shallow_widths (configs/study.yaml)",
        made=lambda t: bool(t.sweep and t.fitted_regimes(t.sigma_regimes)),
        inputs=lambda t: {"fits": t.scaling_fits(t.sigma_regimes)},
        params=lambda t: {"sigmas": _sweep_sigmas(t)},
        caption=lambda t, input, output: captions.sweep_scaling(output.tsv),
        regimes=lambda t: t.fitted_regimes(t.sigma_regimes),
        width=_sweep_widths,
    ),
    Figure(
        name="depth_error",
        rule="figure_depth_error",
        category="Teacher depth",
        title="teacher depth: shallow error",
        needs="a `sweep` section with sigmas and two or more teacher_depths (configs/depth.yaml)",
        made=_depth_sweep,
        inputs=lambda t: {
            "metrics": t.student_files("metrics.json", t.sweep, shallow=True),
            "linear": t.linear_files(t.sweep),
        },
        params=lambda t: {"shallow": _sweep_shallow(t)},
        caption=lambda t, input, output: captions.depth_error(output.tsv, _sweep_shallow(t)),
        regimes=_depths,
        width=_sweep_widths,
    ),
    Figure(
        name="depth_scaling",
        rule="figure_depth_scaling",
        category="Teacher depth",
        title="teacher depth: width needed",
        needs="a `sweep` with two or more teacher_depths and at least two shallow_widths (configs/depth.yaml)",
        made=lambda t: _depth_sweep(t) and bool(t.fitted_regimes(t.sweep)),
        inputs=lambda t: {"fits": t.scaling_fits(t.sweep)},
        params=lambda t: {
            "regimes": {r: {k: spec[k] for k in ("sigma", "teacher_depth")} for r, spec in t.sweep.items()}
        },
        caption=lambda t, input, output: captions.depth_scaling(output.tsv),
        regimes=_depths,
        width=_sweep_widths,
    ),
    Figure(
        name="depth_deep",
        rule="figure_depth_deep",
        category="Teacher depth",
        title="teacher depth: deep student",
        needs="a `sweep` with two or more teacher_depths and deep_student: true (configs/depth.yaml)",
        made=lambda t: _depth_sweep(t) and bool(t.config["sweep"]["deep_student"]),
        inputs=lambda t: {"metrics": t.deep_files("metrics.json", t.sweep, restarts=True)},
        params=lambda t: {"target_error": t.config["scaling"]["target_error"]},
        caption=lambda t, input, output: captions.depth_deep(output.tsv),
        regimes=_depths,
        width=lambda t: "teacher's",
    ),
]

FIGURES: list[Figure] = TUTORIAL + STUDY
BY_NAME = {f.name: f for f in FIGURES}
STUDY_NEEDS = "nonlinearity: tanh, or a `sweep` section with sigmas (configs/study.yaml)"
# figure (d), the circle through deep nets: a rule of its own (a grid, a GIF and its HTML page)
EXPRESSIVITY = "expressivity"


# --- what a config makes: the named targets -------------------------------------------------------


def tutorial_figures(t: Targets) -> list[str]:
    return [f.name for f in TUTORIAL[:1] if f.made(t)] + [EXPRESSIVITY] + [f.name for f in TUTORIAL[1:] if f.made(t)]


def study_figures(t: Targets) -> list[str]:
    return [f.name for f in STUDY if f.made(t)]


def _figure_files(name: str) -> list[str]:
    """A figure's files: a catalog entry's (``Figure.outputs``), or figure (d)'s grid, PNG and PDF."""
    if name in BY_NAME:
        return list(BY_NAME[name].outputs().values())
    return [paths.figure(name, ext) for ext in ("png", "pdf")]


def tutorial_outputs(t: Targets) -> list[str]:
    """The tutorial's figures, the animation and the summary table (``snakemake tutorial``)."""
    figures = [f for n in tutorial_figures(t) for f in _figure_files(n)]
    return [
        paths.summary("tsv"),
        paths.summary("html"),
        paths.figure(EXPRESSIVITY, "gif"),
        paths.figure("expressivity_animation", "html"),
        *figures,
    ]


def study_outputs(t: Targets) -> list[str]:
    """The order-to-chaos figures and their tables (``snakemake study``)."""
    return [f for n in study_figures(t) for f in _figure_files(n)]


def all_outputs(t: Targets) -> list[str]:
    return tutorial_outputs(t) + study_outputs(t)


def undefined(t: Targets, name: str) -> str:
    """Why ``name`` (a figure, or the target ``study``) is not a result of this config, and what it makes."""
    needs = BY_NAME[name].needs if name in BY_NAME else STUDY_NEEDS
    return (
        f"{name} is not a result of this config: it needs {needs}.\nThis config makes: "
        + ", ".join(["summary", *tutorial_figures(t), *study_figures(t)])
        + " (targets: all, tutorial, study, figures)."
    )
