"""Where the pose model file comes from.

Resolution order (first hit wins):

1. an explicit path (``--model PATH`` or ``model=`` in the API);
2. ``$FORMCHECK_MODEL_DIR/pose_landmarker_<variant>.task``;
3. ``models/pose_landmarker_<variant>.task`` in the working directory or the checkout;
4. the user cache (``platformdirs.user_cache_dir("formcheck")/models``), downloading the official
   file there first when it is missing (through pooch: a progress bar, a sha256 check, and a
   temporary file renamed only once it passes).

When all fail, :class:`ModelNotFoundError` says where it looked and how to get the file.
Files found on disk are not hash-checked (rebuilt or newer models are allowed); downloads are.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from formcheck.errors import ModelNotFoundError

_URL = (
    "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
    "pose_landmarker_{v}/float16/1/pose_landmarker_{v}.task"
)


@dataclass(frozen=True)
class ModelAsset:
    """An official model file: its URL and, where we know it, its size and sha256."""

    variant: str
    sha256: str | None
    size_bytes: int | None

    @property
    def filename(self) -> str:
        return f"pose_landmarker_{self.variant}.task"

    @property
    def url(self) -> str:
        return _URL.format(v=self.variant)


# Published float16 revision 1 files. The heavy file's digest is not pinned here: a download of
# it is checked by MediaPipe loading it instead.
MODEL_ASSETS: dict[str, ModelAsset] = {
    "full": ModelAsset(
        "full", "5134a3aad27a58b93da0088d431f366da362b44e3ccfbe3462b3827a839011b1", 9_398_198
    ),
    "lite": ModelAsset(
        "lite", "59929e1d1ee95287735ddd833b19cf4ac46d29bc7afddbbf6753c459690d574a", 5_777_746
    ),
    "heavy": ModelAsset("heavy", None, None),
}


def _checkout_models_dir() -> Path:
    # src/formcheck/models.py -> <checkout>/models
    return Path(__file__).resolve().parents[2] / "models"


def cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("formcheck")) / "models"


def candidate_paths(variant: str) -> list[Path]:
    """The places searched before downloading, in order."""
    asset = _asset(variant)
    places: list[Path] = []
    env_dir = os.environ.get("FORMCHECK_MODEL_DIR")
    if env_dir:
        places.append(Path(env_dir) / asset.filename)
    places.append(Path.cwd() / "models" / asset.filename)
    checkout = _checkout_models_dir() / asset.filename
    if checkout not in places:
        places.append(checkout)
    places.append(cache_dir() / asset.filename)
    return places


def _asset(variant: str) -> ModelAsset:
    try:
        return MODEL_ASSETS[variant]
    except KeyError:
        raise ModelNotFoundError(
            f"unknown model variant {variant!r}; choose one of {', '.join(MODEL_ASSETS)}"
        ) from None


def resolve_model(model: str | os.PathLike[str] | None = None, variant: str = "full",
                  download: bool = True, progress: bool = True) -> Path:
    """Return the path of a pose model file, downloading the official one if allowed.

    Args:
        model: explicit path; when given, nothing else is searched.
        variant: ``full`` (default), ``lite`` (faster, for slow machines) or ``heavy``.
        download: try the official download when no local file is found.
        progress: show a progress bar while downloading.

    Raises:
        ModelNotFoundError: no file found and the download failed or was not allowed.
    """
    if model is not None:
        path = Path(model)
        if path.is_file():
            return path
        raise ModelNotFoundError(f"model file {path} does not exist")
    asset = _asset(variant)
    places = candidate_paths(variant)
    for place in places:
        if place.is_file():
            return place
    error = "download not attempted"
    if download:
        try:
            return download_model(asset, places[-1], progress=progress)
        except (OSError, ValueError) as exc:  # requests' errors are OSErrors; pooch's hash check a ValueError
            error = f"download failed: {exc}"
    looked = "; ".join(str(p) for p in places)
    raise ModelNotFoundError(
        f"pose model {asset.filename} not found (looked in: {looked}; {error}). "
        f"Download it from {asset.url} into ./models/, or set FORMCHECK_MODEL_DIR to the folder "
        "that holds it, or pass --model PATH."
    )


def download_model(asset: ModelAsset, destination: Path, progress: bool = True,
                   timeout_s: float = 30.0) -> Path:
    """Download ``asset`` to ``destination``, checking its sha256 (and, where pinned, size).

    pooch writes to a temporary name beside the destination and renames it only after the hash
    check, so an interrupted download never leaves a half file that looks valid; a failed
    download starts again from the beginning next time.

    Raises:
        ValueError: the downloaded bytes do not match the published digest or size.
        OSError: network or disk failure (``requests``' errors included).
    """
    import pooch

    pooch.get_logger().setLevel("WARNING")  # its "Downloading data from ..." lines; the bar says it
    bar = _Bar(asset.filename) if progress else False
    path = Path(pooch.retrieve(
        asset.url, known_hash=f"sha256:{asset.sha256}" if asset.sha256 else None, fname=destination.name,
        path=destination.parent, downloader=pooch.HTTPDownloader(progressbar=bar, timeout=timeout_s)))
    if asset.size_bytes is not None and path.stat().st_size != asset.size_bytes:
        got = path.stat().st_size
        path.unlink()
        raise ValueError(f"got {got} bytes, expected {asset.size_bytes}")
    return path


class _Bar:
    """The download's tqdm bar, made when pooch sets its total (once the server has answered),
    so a download that cannot even connect leaves no empty bar on the terminal."""

    def __init__(self, desc: str) -> None:
        self._desc = desc
        self._bar = None

    def __bool__(self) -> bool:
        return True

    @property
    def total(self) -> int | None:
        return self._bar.total if self._bar else None

    @total.setter
    def total(self, value: int) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=value or None, unit="B", unit_scale=True, desc=self._desc)

    def update(self, n: int) -> None:
        self._bar.update(n)

    def reset(self) -> None:
        self._bar.reset()

    def close(self) -> None:
        self._bar.close()
