"""Report kernels forked from a process that has already imported them (local pool workers).

A kernel started the usual way is a new Python process that imports ipykernel and then, in
its warm-up, numpy, pandas, matplotlib, scipy and the evaltools statistics: about 2.3 CPU-s
here per worker, spent while the runner loads the study on the same cores. The local pool's
fork server imports all of that once (:mod:`evaltools._pool_server`). Each worker forked from
it forks a small *zygote* of itself first thing (:func:`start_zygote`, called by the pool's
initializer while the worker has neither threads nor zmq sockets), and the zygote forks one
kernel per request: ipykernel's own application, run with the arguments, environment,
working directory and output the kernel manager asked for, in a session of its own, as
``jupyter_client`` starts one.

This is used only where it gives the same kernel: on Linux, when the kernel spec runs this
interpreter's ``ipykernel_launcher`` (``python3``, the default). Anywhere else (another kernel
name, another system, no fork server, the runner's own process, Dask workers) kernels are
started as new processes.

The kernel's parent is the zygote, whose parent is the worker: the kernel stops when the
zygote does (ipykernel's parent poller), and the zygote when the worker's end of their
socket closes, so no kernel outlives a worker that died.
"""
from __future__ import annotations

import os
import pickle
import signal
import socket
import struct
import sys
import threading
from typing import Any

#: set by the fork server once the kernel's imports are done (:mod:`evaltools._pool_server`)
STACK_LOADED = False

_ZYGOTE: dict[str, Any] = {}
_LOCK = threading.Lock()
_INLINE = "module://matplotlib_inline.backend_inline"


def _send(sock: socket.socket, obj: Any) -> None:
    data = pickle.dumps(obj)
    sock.sendall(struct.pack("!I", len(data)) + data)


def _recv(sock: socket.socket) -> Any:
    def exactly(n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    (n,) = struct.unpack("!I", exactly(4))
    return pickle.loads(exactly(n))


def start_zygote() -> bool:
    """(In a pool worker, before it starts threads.) Fork the process kernels are forked from.

    Returns True when there is one; False where the kernel's imports were not preloaded.
    """
    # Linux only: elsewhere system libraries (macOS's Accelerate, its Objective-C runtime) are
    # not safe to use in a child forked after they were loaded
    if not STACK_LOADED or _ZYGOTE or not sys.platform.startswith("linux"):
        return False
    mine, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # the zygote
        mine.close()
        _zygote(theirs)  # never returns
    theirs.close()
    _ZYGOTE.update(sock=mine, pid=pid, owner=os.getpid())
    return True


def _zygote(sock: socket.socket) -> None:
    code = 0
    try:
        # kernels are reaped by the system; Ctrl-C is for the runner to handle
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        while True:
            try:
                req = _recv(sock)
            except (EOFError, OSError):
                break  # the worker is gone
            try:
                pid = os.fork()
            except OSError as exc:  # no more processes: the worker starts its kernel as usual
                _send(sock, -(exc.errno or 1))
                continue
            if pid == 0:
                sock.close()
                _kernel(req)  # never returns
            _send(sock, pid)
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _kernel(req: dict) -> None:
    """(In the forked kernel.) What ``python -m ipykernel_launcher ARGS`` does, in this process."""
    code = 1
    try:
        os.setsid()  # as jupyter_client starts a kernel: signals to its group reach it alone
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        for fd, quiet in ((1, req["quiet_out"]), (2, req["quiet_err"])):
            if quiet:
                os.dup2(null, fd)
        os.close(null)
        # the fork server stops when every process holding this pipe's write end has
        # stopped; a kernel need not keep it waiting (the zygote holds it for the worker)
        from multiprocessing import forkserver

        alive = getattr(forkserver._forkserver, "_forkserver_alive_fd", None)
        if alive is not None:
            forkserver._forkserver._forkserver_alive_fd = None
            os.close(alive)
        os.environ.clear()
        os.environ.update(req["env"])
        os.environ["JPY_PARENT_PID"] = str(os.getppid())  # ipykernel stops when the zygote does
        if req["cwd"]:
            os.chdir(req["cwd"])
        sys.argv = [sys.executable, *req["args"]]
        # ipykernel sets MPLBACKEND for matplotlib to read at import; it was imported already
        os.environ.setdefault("MPLBACKEND", _INLINE)
        import matplotlib

        matplotlib.rcParams["backend"] = os.environ["MPLBACKEND"]
        from ipykernel import kernelapp

        # ipykernel read JPY_PARENT_PID when it was imported, in the fork server: its parent
        # poller (stop when the parent does) is switched on here instead
        kernelapp.IPKernelApp.launch_instance(argv=list(req["args"]), parent_handle=os.getppid())
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)


def _fork_kernel(args: list[str], env: dict, cwd: str | None, quiet_out: bool, quiet_err: bool) -> int | None:
    """The forked kernel's pid; None when the zygote cannot fork one (it is then given up)."""
    with _LOCK:
        sock = _ZYGOTE.get("sock")
        if sock is None:
            return None
        try:
            _send(sock, {"args": args, "env": dict(env), "cwd": cwd, "quiet_out": quiet_out,
                         "quiet_err": quiet_err})
            pid = int(_recv(sock))
        except (OSError, EOFError):  # the zygote is gone
            _ZYGOTE.clear()
            sock.close()
            return None
        return pid if pid > 0 else None


def kernel_args(cmd: list[str]) -> list[str] | None:
    """The launcher's arguments when ``cmd`` runs this interpreter's ipykernel_launcher, else None.

    Examples
    --------
    >>> kernel_args([sys.executable, "-m", "ipykernel_launcher", "-f", "k.json"])
    ['-f', 'k.json']
    >>> kernel_args(["/other/python", "-m", "ipykernel_launcher", "-f", "k.json"]) is None
    True
    """
    if len(cmd) < 3 or list(cmd[1:3]) != ["-m", "ipykernel_launcher"]:
        return None
    if os.path.realpath(cmd[0]) != os.path.realpath(sys.executable):
        return None
    return list(cmd[3:])


def zygote_pid() -> int | None:
    """The process id of this process's zygote (None without one)."""
    return _ZYGOTE.get("pid") if available() else None


def available() -> bool:
    """True in a process with a zygote of its own (not in a process forked from one)."""
    return bool(_ZYGOTE) and _ZYGOTE.get("owner") == os.getpid()


class _ForkedKernel:
    """What a kernel provisioner needs of :class:`subprocess.Popen`, for a kernel that is not our child."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        self._killed = False

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = -signal.SIGKILL if self._killed else 0
            except PermissionError:  # the number was taken by another user's process
                self.returncode = 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                import subprocess

                raise subprocess.TimeoutExpired([str(self.pid)], timeout)
            time.sleep(0.02)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            if sig == signal.SIGKILL:
                self._killed = True
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def provisioner(km: Any) -> Any | None:
    """A provisioner for ``km`` that forks its kernel from the zygote, or None to start it as usual."""
    if not available():
        return None
    import subprocess
    import uuid

    from jupyter_client.provisioning import LocalProvisioner

    class ForkProvisioner(LocalProvisioner):
        async def launch_kernel(self, cmd: list[str], **kwargs: Any):
            args = kernel_args(cmd)
            out, err = kwargs.get("stdout"), kwargs.get("stderr")
            pid = None if args is None else _fork_kernel(args, kwargs.get("env") or os.environ, kwargs.get("cwd"),
                                                         out == subprocess.DEVNULL, err == subprocess.DEVNULL)
            if pid is None:  # not this interpreter's ipykernel, or the zygote is gone
                return await super().launch_kernel(cmd, **kwargs)
            self.process = _ForkedKernel(pid)
            self.pid = self.pgid = pid  # the kernel leads a session (and process group) of its own
            self.cwd = kwargs.get("cwd") or os.getcwd()
            return self.connection_info

    km.kernel_id = km.kernel_id or str(uuid.uuid4())
    return ForkProvisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)
