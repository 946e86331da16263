"""Reading the workflow's results back as tables: for the summary and the figures."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from depthwidth.experiment import paths
from depthwidth.experiment.sizes import hidden_width
from depthwidth.jobs.artifacts import ArtifactError, read_dataset, read_json, read_npz, read_weights, verify_weights

# What every student's metrics.json must hold (students.train_student writes more).
METRIC_KEYS = (
    "name",
    "regime",
    "seed",
    "sizes",
    "n_parameters",
    "points_per_parameter",
    "var_y_test",
    "train_relative_error",
    "test_relative_error",
)


def load_metrics(path: str, expected: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A student's (or linear fit's) metrics.json, checked for ``METRIC_KEYS``, identity and range.

    Identity: the ``regime``, ``seed`` and ``name`` it records must be those of ``expected``, or
    else those its path names (``paths.parse_student_file``), so a file
    copied over another student's is refused. Range: errors and the test variance finite, errors
    at least 0, the variance, parameter count and points per parameter above 0.
    """
    m = read_json(path, METRIC_KEYS)
    if expected is None:
        parsed = paths.parse_student_file(Path(path).as_posix()) or {}
        expected = {"regime": parsed["regime"], "seed": parsed["seed"], "name": parsed["student"]} if parsed else {}
        if parsed.get("restart") is not None:
            expected["restart"] = parsed["restart"]
    wrong = {k: v for k, v in expected.items() if m.get(k) != v}
    if wrong:
        got = ", ".join(f"{k} {m.get(k)!r}" for k in wrong)
        want = ", ".join(f"{k} {v!r}" for k, v in wrong.items())
        raise ArtifactError(
            f"{path}: records {got}, but is read as that of {want}: a copied or misplaced file; "
            f"remake it with snakemake --cores all --forcerun {path}"
        )
    for key, least, strict in (
        ("train_relative_error", 0, False),
        ("test_relative_error", 0, False),
        ("var_y_test", 0, True),
        ("n_parameters", 0, True),
        ("points_per_parameter", 0, True),
    ):
        value = m[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ArtifactError(f"{path}: {key} is {value!r}, expected a finite number")
        if value < least or (strict and value == least):
            raise ArtifactError(f"{path}: {key} is {value!r}, expected {'above' if strict else 'at least'} {least}")
    sizes = m["sizes"]
    if (
        not isinstance(sizes, list)
        or len(sizes) < 2
        or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in sizes)
    ):
        raise ArtifactError(f"{path}: sizes is {sizes!r}, expected a list of at least two positive layer widths")
    return m


# Columns of summary.tsv, with units; errors are relative: MSE / Var(y_test) (unbiased variance).
SUMMARY_COLUMNS = {
    "regime": "regime",
    "sigma_w": "sigma_w",
    "seed": "seed",
    "model": "model",
    "student": "student",
    "width": "hidden_width_units",
    "depth": "depth_layers",
    "n_parameters": "n_parameters",
    "points_per_parameter": "train_points_per_parameter",
    "train_relative_error": "train_error_mse_over_var_ytest",
    "test_relative_error": "test_error_mse_over_var_ytest",
    "inits": "initialisations",
    "best_test_relative_error": "best_init_test_error_mse_over_var_ytest",
    "slope": "fit_slope_dlnE_dlnW",
    "intercept": "fit_intercept_lnE",
    "r2": "fit_r2",
    "predicted_width": "fit_width_for_target_units",
    "target_error": "fit_target_error_mse_over_var_ytest",
    "slope_ci_low": "fit_slope_ci95_low",
    "slope_ci_high": "fit_slope_ci95_high",
    "predicted_width_ci_low": "fit_width_ci95_low_units",
    "predicted_width_ci_high": "fit_width_ci95_high_units",
}


def student_rows(metrics_paths: Sequence[str]) -> pd.DataFrame:
    """One row per trained student: regime, its sigma_w (as the student's metrics record it), seed,
    model (shallow: one hidden layer; deep: the teacher's shape; multilayer: another depth), the
    student's name, width, depth, errors."""
    rows = []
    for path in metrics_paths:
        m = load_metrics(path)
        if not isinstance(m.get("sigma_w"), (int, float)):
            raise ArtifactError(f"{path}: sigma_w is {m.get('sigma_w')!r}, expected the teacher's sigma_w")
        sizes = m["sizes"]
        rows.append(
            {
                "regime": m["regime"],
                "sigma_w": float(m["sigma_w"]),
                "seed": m["seed"],
                "model": "deep" if m["name"] == "deep" else ("shallow" if len(sizes) == 3 else "multilayer"),
                "student": m["name"],
                "width": hidden_width(sizes),
                "depth": len(sizes) - 1,
                "restart": int(m.get("restart", 0)),
                **{
                    k: m[k]
                    for k in ("n_parameters", "points_per_parameter", "train_relative_error", "test_relative_error")
                },
            }
        )
    return pd.DataFrame(rows)


# The key of a run: a student of a regime's teacher seed (restarts are initialisations of one run)
RUN_KEY = ["regime", "seed", "student"]


def best_of_restarts(runs: pd.DataFrame) -> pd.DataFrame:
    """Per regime, seed and student, the run of its initialisations with the lowest *training* error
    (the test set plays no part in the choice), with ``inits``: how many there were."""
    inits = runs.groupby(RUN_KEY)["restart"].transform("size")
    best = runs.assign(inits=inits).sort_values([*RUN_KEY, "train_relative_error", "restart"], kind="stable")
    return best.drop_duplicates(RUN_KEY).sort_index().reset_index(drop=True)


def with_restarts(students: pd.DataFrame, restart_paths: Sequence[str]) -> pd.DataFrame:
    """``students`` (first initialisations) with ``inits`` and ``best_test_relative_error``: the test
    error of the initialisation, the first or a restart's, with the lowest training error."""
    if not restart_paths:
        return students
    best = best_of_restarts(pd.concat([students, student_rows(restart_paths)], ignore_index=True))
    best = best[best["inits"] > 1][[*RUN_KEY, "inits", "test_relative_error"]]
    return students.merge(
        best.rename(columns={"test_relative_error": "best_test_relative_error"}), on=RUN_KEY, how="left"
    )


# Columns a polished run adds (config `polish`): the converged errors beside Adam's, and the fit's
# errors (one scaling_fit row per kind of error, scaling.FITS).
POLISH_COLUMNS = {
    "polished_train_relative_error": "converged_train_error_mse_over_var_ytest",
    "polished_test_relative_error": "converged_test_error_mse_over_var_ytest",
    "polish_stop": "converged_stop",
    "search_best_train_relative_error": "search_best_train_error_mse_over_var_ytest",
    "search_starts": "search_starts",
    "search_fitted": "search_fitted",
    "fit_on": "fit_errors",
}


# What the summary takes from each polish and search record: {record key: column key}.
POLISH_FIELDS = {
    "train_relative_error": "polished_train_relative_error",
    "test_relative_error": "polished_test_relative_error",
    "stop": "polish_stop",
}
SEARCH_FIELDS = {
    "best_train_relative_error": "search_best_train_relative_error",
    "starts": "search_starts",
    "fitted": "search_fitted",
}


def _record_rows(record_paths: Sequence[str], fields: Mapping[str, str]) -> pd.DataFrame:
    """One row per record file: its run's key (:data:`RUN_KEY`) and ``fields``, renamed."""
    rows = []
    for path in record_paths:
        r = read_json(path, ("regime", "seed", "name", *fields))
        rows.append(
            {"regime": r["regime"], "seed": r["seed"], "student": r["name"], **{v: r[k] for k, v in fields.items()}}
        )
    return pd.DataFrame(rows, columns=[*RUN_KEY, *fields.values()])


def _polish_columns(students: pd.DataFrame, polish_paths: Sequence[str], search_paths: Sequence[str]) -> pd.DataFrame:
    """``students`` with each one's polish record (and its deep student's search record) merged in."""
    out = students.merge(_record_rows(polish_paths, POLISH_FIELDS), on=RUN_KEY, how="left")
    return out.merge(_record_rows(search_paths, SEARCH_FIELDS), on=RUN_KEY, how="left")


def _fit_rows(fit_paths: Sequence[str], sigmas: Mapping[str, float]) -> list[dict[str, Any]]:
    """One row per fitted regime: the fit of Adam's test errors, and with polish one per kind."""
    rows = []
    for path in fit_paths:
        fit = read_json(path, ("regime", "slope", "intercept", "predicted_width", "target_error"))
        base = {"regime": fit["regime"], "sigma_w": sigmas[fit["regime"]], "model": "scaling_fit"}
        line = {k: fit.get(k, np.nan) for k in SUMMARY_COLUMNS if k.startswith(SUMMARY_FIT_KEYS)}
        if "fits" not in fit:
            rows.append({**base, **line})
            continue
        rows.append({**base, **line, "fit_on": "adam_test"})
        for kind, other in fit["fits"].items():
            if kind != "adam_test":
                fields = {k: other[k] for k in ("slope", "intercept", "r2", "predicted_width")}
                rows.append({**base, **fields, "target_error": fit["target_error"], "fit_on": kind})
    return rows


SUMMARY_FIT_KEYS = ("slope", "intercept", "r2", "predicted", "target")


def summary_table(
    metrics_paths: Sequence[str],
    fit_paths: Sequence[str],
    sigmas: Mapping[str, float],
    weight_paths: Sequence[str] = (),
    restart_paths: Sequence[str] = (),
    polish_paths: Sequence[str] = (),
    search_paths: Sequence[str] = (),
) -> pd.DataFrame:
    """summary.tsv: one row per student, and one ``scaling_fit`` row per fitted regime.

    ``weight_paths`` (the students' ``student.pt``) are checked against the SHA-256 their sidecars
    record, so a damaged weights file, which no other job of a finished run reads, fails the summary.
    ``restart_paths``: metrics of the restarts, whose best is reported beside each first initialisation.
    ``polish_paths``, ``search_paths``: the polish and search records of a polished run, whose
    errors get columns of their own (:data:`POLISH_COLUMNS`), as does each scaling fit's kind.
    """
    for path in weight_paths:
        verify_weights(path)
    students = with_restarts(student_rows(metrics_paths), restart_paths)
    columns = dict(SUMMARY_COLUMNS)
    if polish_paths:
        students = _polish_columns(students, polish_paths, search_paths)
        columns.update(POLISH_COLUMNS)
    table = pd.concat([students, pd.DataFrame(_fit_rows(fit_paths, sigmas))], ignore_index=True)
    table = table.reindex(columns=list(columns)).rename(columns=columns)
    return table.sort_values(["regime", "model", "hidden_width_units", "seed"], kind="stable", ignore_index=True)


def loss_curve(loss_path: str, metrics_path: str) -> np.ndarray:
    """A student's training error per step, relative: MSE / Var(y_test)."""
    return read_npz(loss_path, ("train_mse",))["train_mse"] / load_metrics(metrics_path)["var_y_test"]


def width_points(metrics_paths: Sequence[str]) -> dict[str, dict[str, np.ndarray]]:
    """Per regime, arrays ``width``, ``train``, ``test`` (relative errors) of its shallow students."""
    table = student_rows(metrics_paths)
    return {
        regime: {
            "width": g["width"].to_numpy(),
            "train": g["train_relative_error"].to_numpy(),
            "test": g["test_relative_error"].to_numpy(),
        }
        for regime, g in table.groupby("regime", sort=False)
    }


def prediction_panels(
    weight_paths: Sequence[str], metrics_paths: Sequence[str], data_paths: Sequence[str], phi: str
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(title, teacher output, student output) on the test set for each student."""
    import torch  # here, not at the top: the other tables are read without it (1.5 s a job)

    from depthwidth.model.nets import forward

    panels = []
    for weights_path, metrics_path, data_path in zip(weight_paths, metrics_paths, data_paths):
        m = load_metrics(metrics_path)
        data = read_dataset(data_path, n_in=m["sizes"][0])
        weights = read_weights(weights_path, m["sizes"])
        with torch.no_grad():
            y_pred = forward(weights, torch.as_tensor(data["X_test"]).to(weights[0].dtype), phi).numpy()
        title = f"{m['regime']}, width {m['sizes'][1]}: E = {m['test_relative_error']:.2g}"
        panels.append((title, data["y_test"].ravel(), y_pred.ravel()))
    return panels


SUMMARY_CSS = """
body { font-family: system-ui, sans-serif; font-size: 13px; margin: 1em; color: #111; background: #fff; }
table { border-collapse: collapse; }
th, td { padding: 2px 8px; border-bottom: 1px solid #ddd; text-align: right; white-space: nowrap; }
th { position: sticky; top: 0; background: #f3f3f3; text-align: center; }
td:nth-child(-n+4) { text-align: left; }
tr.fit td { background: #eef5fb; }
"""


def summary_html(table: pd.DataFrame, tsv_name: str, tsv_bytes: bytes) -> str:
    """summary.tsv as a page of its own: the table (3 significant digits; the TSV holds them all) with
    the error columns first after the run's names, the scaling-fit rows shaded, and a link that downloads the TSV itself (embedded, so that the page works
    inside the report's single file)."""
    import base64
    import html

    # The page shows the errors right after the run's names, before the sizes and the fits' columns
    # (a reader looks for them first, and on a screen they would sit to the right of the page);
    # summary.tsv keeps its own order.
    names = ["regime", "sigma_w", "seed", "model", "student"]
    errors = [c for c in table.columns if c.endswith("_mse_over_var_ytest") and not c.startswith("fit_")]
    first = [c for c in names if c in table.columns] + errors
    table = table[first + [c for c in table.columns if c not in first]]

    def cell(value: Any) -> str:
        if isinstance(value, float | np.floating):
            return "" if np.isnan(value) else f"{value:.3g}"
        return html.escape(str(value))

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    fit = ' class="fit"'
    rows = [
        f"<tr{fit if row['model'] == 'scaling_fit' else ''}>"
        + "".join(f"<td>{cell(v)}</td>" for v in row.to_numpy())
        + "</tr>"
        for _, row in table.iterrows()
    ]
    link = (
        f'<a download="{html.escape(tsv_name)}" href="data:text/tab-separated-values;base64,'
        f'{base64.b64encode(tsv_bytes).decode()}">{html.escape(tsv_name)}</a>'
    )
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(tsv_name)}</title>'
        f"<style>{SUMMARY_CSS}</style></head><body>\n"
        f"<p>{len(table)} rows, errors relative (MSE / Var(y_test)); every digit in {link}</p>\n"
        f"<table><thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table>\n</body></html>\n"
    )


def median_by_regime(metrics_paths: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per regime of these students (one architecture, several seeds): the median test error over
    seeds, the parameter count and the number of seeds (the deep student beside a scaling fit)."""
    runs: dict[str, list[dict[str, Any]]] = {}
    for path in metrics_paths:
        m = load_metrics(path)
        runs.setdefault(m["regime"], []).append(m)
    return {
        regime: {
            "test": float(np.median([m["test_relative_error"] for m in ms])),
            "n_parameters": ms[0]["n_parameters"],
            "seeds": len(ms),
        }
        for regime, ms in runs.items()
    }
