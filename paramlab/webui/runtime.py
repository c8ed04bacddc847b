"""The process-wide ledger writer inside the WebUI: where the ledger is, and flushing it on exit."""

from __future__ import annotations

import atexit
import logging
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

from modules import paths_internal, shared

from paramlab.aftercare.model_hashes import ModelFileHasher
from paramlab.aftercare.runner import Aftercare
from paramlab.aftercare.tasks import WorkSettings
from paramlab.ledger import Ledger
from paramlab.ledger.input_store import DEFAULT_MAX_MB, MEGABYTE, InputStorage
from paramlab.ledger.locations import PathMap
from paramlab.ledger.operations import Findings, RecordFileHash
from paramlab.ledger.reads.file_hashes import FileHash, known_file_hashes
from paramlab.ledger.urls import URL, describe_url, holds_password, resolve_ledger_url, sqlite_path
from paramlab.ledger.writer import LedgerWriter
from paramlab.paths import THUMBNAIL_DIRNAME, webui_data_dir

log = logging.getLogger("paramlab")

_writer: LedgerWriter | None = None
_hasher: ModelFileHasher | None = None
_reader: Ledger | None = None
_writer_lock = threading.Lock()
_exit_hooks_installed = False


def configured_location() -> str:
    """``--paramlab-db`` wins over the Settings entry; empty means the default file."""
    from_flag = getattr(shared.cmd_opts, "paramlab_db", None)
    if from_flag:
        return str(from_flag)
    return str(shared.opts.data.get("paramlab_db", "") or "")


def data_dir() -> Path:
    data_path = getattr(shared.cmd_opts, "data_dir", None) or paths_internal.data_path
    return webui_data_dir(data_path)


def ledger_url():
    return resolve_ledger_url(configured_location(), data_dir())


def _side_folder() -> Path:
    """Thumbnails and spill files live beside an SQLite ledger, else in the data dir."""
    path = sqlite_path(ledger_url())
    return path.parent if path is not None else data_dir()


def get_writer() -> LedgerWriter:
    """Created on first use, so a broken ledger location costs nothing until something is recorded."""
    global _writer
    with _writer_lock:
        if _writer is None:
            url = ledger_url()
            warn_about_a_password_in(url)
            _writer = LedgerWriter(lambda: Ledger.open(url), _side_folder(), aftercare=start_aftercare,
                                   input_storage=input_storage)
        return _writer


def start_aftercare(deliver: Callable[[Findings], None]) -> Aftercare:
    """The writer's background work: hashes, thumbnails and figures, as Settings ask, while the host is idle."""
    return Aftercare(deliver, work_settings=work_settings, may_run=background_may_run)


def model_hasher() -> ModelFileHasher:
    """The background hasher of model files (the fingerprint's SHA-256s); its hashes go through the writer,
    so each lands after the run that recorded it as pending."""
    global _hasher
    with _writer_lock:
        if _hasher is None:
            _hasher = ModelFileHasher(_record_file_hash, known=lambda: known_file_hashes(get_ledger()),
                                      may_run=background_may_run)
        return _hasher


def _record_file_hash(found: FileHash) -> None:
    if _hasher is None:  # shut down meanwhile: a new writer now would outlive the WebUI's (the next start hashes)
        return
    get_writer().submit(RecordFileHash(found.path, found.size_bytes, found.mtime, found.sha256))


def warn_about_a_password_in(url: URL) -> None:
    """A password written into the ledger URL shows in ``ps``, in A1111's sysinfo (which hides only its own
    login flags) and in config.json: say so once, without the password, and where it belongs."""
    if holds_password(url):
        log.warning("ParamLab: the ledger URL %s holds a password, which other users of this machine can read "
                    "from the command line, and which the WebUI's sysinfo and config.json show. Remove it from "
                    "the URL and put it in a PGPASSFILE (or PGPASSWORD) instead; see the README's For teams.",
                    describe_url(url))


def background_may_run() -> bool:
    """Whether ParamLab's background work (thumbnails, figures) may use the CPU now.

    Sampling on the CPU uses every core, and measured on 2 cores even idle-priority work beside it
    slowed each image by 12-19 %: there it waits until no job runs (A1111 brackets every UI, API and
    script job with ``state.begin``/``end``). Sampling on a GPU leaves the CPU free, so it runs at once.
    """
    from modules import devices

    device = getattr(devices, "device", None)
    if device is not None and getattr(device, "type", "cpu") != "cpu":
        return True
    return not getattr(shared.state, "job", "")


def work_settings() -> WorkSettings:
    """Read when each image is handed over: what Settings → ParamLab asks the background work to do."""
    data = shared.opts.data
    scorers = None
    if data.get("paramlab_learned_scorers", False):
        scorers = {
            "clip_model_path": str(data.get("paramlab_clip_model_path", "") or ""),
            "aesthetic_head_path": str(data.get("paramlab_aesthetic_head_path", "") or ""),
            "allow_download": bool(data.get("paramlab_allow_downloads", False)),
        }
    return WorkSettings(
        thumbnails=bool(data.get("paramlab_thumbnails", True)),
        # A ledger on a server is shared: other machines cannot read this one's files, so keep every preview.
        thumbnails_of_saved=bool(data.get("paramlab_thumbnails_in_ledger", False)) or sqlite_path(ledger_url()) is None,
        measure=bool(data.get("paramlab_measure", True)),
        scorers=scorers,
        converge_steps=lambda sampler, scheduler: _convergence.get((sampler or "", scheduler or "")),
    )


def input_storage() -> InputStorage:
    """Read when each run's inputs reach the writer: Settings → ParamLab's input images on/off and size cap."""
    data = shared.opts.data
    try:
        cap_mb = max(0.0, float(data.get("paramlab_input_max_mb", DEFAULT_MAX_MB)))
    except (TypeError, ValueError):
        cap_mb = DEFAULT_MAX_MB
    return InputStorage(enabled=bool(data.get("paramlab_keep_inputs", True)), max_bytes=int(cap_mb * MEGABYTE))


def path_map() -> PathMap:
    """Settings → ParamLab → path map: where other machines' image folders are reachable from here."""
    return PathMap.parse(str(shared.opts.data.get("paramlab_path_map", "") or ""))


OUTPUT_FOLDER_SETTINGS = ("outdir_samples", "outdir_txt2img_samples", "outdir_img2img_samples", "outdir_extras_samples",
                          "outdir_grids", "outdir_txt2img_grids", "outdir_img2img_grids", "outdir_save",
                          "outdir_init_images")


def output_folders() -> list[str]:
    """Where this WebUI keeps images, for the file routes (see :mod:`paramlab.ledger.known_folders`): its
    output folder settings (a relative one is under the WebUI's folder) and ParamLab's old thumbnails."""
    folders = [str(getattr(shared.opts, name, "") or "") for name in OUTPUT_FOLDER_SETTINGS]
    return [os.path.abspath(folder) for folder in folders if folder] + [str(_side_folder() / THUMBNAIL_DIRNAME)]


_convergence: dict[tuple[str, str], int | None] = {}


def remember_convergence(steps: dict[tuple[str, str], int | None]) -> None:
    """The last convergence answer, so flaw advice can name "this sampler converged at N steps"."""
    _convergence.clear()
    _convergence.update(steps)


def get_ledger() -> Ledger:
    """A connection for the UI and the HTTP API (reads, profile edits); the writer has its own.

    Raises :class:`paramlab.ledger.LedgerError` with the reason when the ledger cannot be opened.
    """
    global _reader
    with _writer_lock:
        if _reader is None or _reader.url != ledger_url():
            _reader = Ledger.open(ledger_url())
        return _reader


def profile_store():  # -> ProfileStore; imported lazily to keep startup light
    from paramlab.profiles import ProfileStore

    return ProfileStore(get_ledger())


def series_store():  # -> SeriesStore
    from paramlab.seeds import SeriesStore

    return SeriesStore(get_ledger())


_before_shutdown: list[Callable[[], None]] = []


def before_shutdown(hook: Callable[[], None]) -> None:
    """Run ``hook()`` first at shutdown (closing the jobs still open), once per hook."""
    if hook not in _before_shutdown:
        _before_shutdown.append(hook)


def shutdown(timeout: float = 5.0) -> None:
    """Write what is queued (bounded wait), spill the rest; safe to call more than once."""
    global _writer, _reader, _hasher
    for hook in list(_before_shutdown):
        try:
            hook()
        except Exception as exc:  # noqa: BLE001 - closing jobs is best effort; the queue must still be written
            log.error("ParamLab: closing open jobs at shutdown failed: %s", exc)
    with _writer_lock:
        writer, _writer = _writer, None
        reader, _reader = _reader, None
        hasher, _hasher = _hasher, None
    if hasher is not None:  # a file half hashed is hashed again at the next start
        hasher.close(timeout)
    if writer is not None:
        writer.close(timeout)
    if reader is not None:
        reader.close()


def install_exit_hooks() -> None:
    """Flush the ledger on every way the WebUI is usually stopped.

    A1111's Ctrl-C handler ends the process with ``os._exit``, which skips ``atexit``, and SIGTERM
    (``kill``, a service manager, a container stop) ends it without running ``atexit`` at all: both
    are wrapped so the queue is written first. Called when the script file loads (on the main
    thread); once per process.
    """
    global _exit_hooks_installed
    if _exit_hooks_installed:
        return
    _exit_hooks_installed = True
    atexit.register(shutdown)
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGINT, getattr(signal, "SIGTERM", None)):
        if signum is not None:
            _flush_before(signum)


def _flush_before(signum: int) -> None:
    previous = signal.getsignal(signum)
    if previous == signal.SIG_IGN:  # the host ignores it: so do we
        return

    def _flush_then_continue(number, frame):  # type: ignore[no-untyped-def]
        shutdown()
        if callable(previous):
            previous(number, frame)
        else:  # the default action (end the process), as if ParamLab were not there
            signal.signal(number, signal.SIG_DFL)
            os.kill(os.getpid(), number)

    try:
        signal.signal(signum, _flush_then_continue)
    except (ValueError, OSError):  # not the main thread after all, or not allowed here
        log.debug("ParamLab: flush hook for signal %s not installed", signum)
