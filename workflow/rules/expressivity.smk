EXPRESSIVITY = config["expressivity"]


rule expressivity:
    """A circle pushed through deep random nets of each listed regime's sigma."""
    input:
        code=code("expressivity.py"),
    output:
        trajectories=paths.expressivity("trajectories.npz"),
        lengths=paths.expressivity("lengths.tsv"),
    log:
        paths.log("expressivity", "trajectories"),
    conda:
        "../../envs/depthwidth.yaml"
    threads: 1
    resources:
        mem_mb=REQUESTS.expressivity_mem_mb,
        runtime=5,
    params:
        regimes=EXPRESSIVITY["regimes"],
        sigmas=[REGIMES[r]["sigma"] for r in EXPRESSIVITY["regimes"]],
        width=EXPRESSIVITY["width"],
        depth=EXPRESSIVITY["depth"],
        points=EXPRESSIVITY["points"],
        seed=EXPRESSIVITY["seed"],
        nonlinearity=config["nonlinearity"],
    message:
        "a circle through deep random nets (asks {resources.mem_mb} MB, {resources.runtime} min): {log}"
    script:
        "../../scripts/expressivity.py"
