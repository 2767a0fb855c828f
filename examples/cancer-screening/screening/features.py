"""The features the model uses.

Every feature is one of the 30 columns of the WDBC data (see data.py). They come in ten
measurements of the cell nuclei, each as its mean, its standard error and its worst (largest)
value over the nuclei of the image. The demo's regression commit (demo/regression.patch) drops
the worst values: see README.md, "The regression commit".
"""

MEASUREMENTS = (
    "radius",
    "texture",
    "perimeter",
    "area",
    "smoothness",
    "compactness",
    "concavity",
    "concave points",
    "symmetry",
    "fractal dimension",
)


def columns(measurements) -> tuple[str, ...]:
    """The data set's column names for these measurements: mean, standard error, worst."""
    return tuple(
        f"{kind} {m}" if kind != "error" else f"{m} error"
        for m in measurements
        for kind in ("mean", "error", "worst")
    )


# The model's inputs, in order.
FEATURES = columns(MEASUREMENTS)
