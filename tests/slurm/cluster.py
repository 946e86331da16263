"""A real single-node Slurm on loopback for the tests: munged, slurmctld and slurmd.

Everything it starts lives in a fresh state directory: its own munge key and socket, its own
ports, logs and spool, so it does not touch a munge or Slurm already running on the machine.
The one shared path is ``/etc/slurm/slurm.conf``: the Slurm executor plugin runs ``srun``
inside each job with every ``SLURM_*`` variable (``SLURM_CONF`` included) removed, so that
``srun`` reads the compiled-in default path. While a cluster is up, that path is a symlink to
its config, and a lock file keeps two test sessions from taking it at once; on stop the
previous symlink (if any) comes back. A regular file there (a real Slurm installation) is
never replaced: starting fails instead.

Daemons run in the foreground as children of this process and are stopped by PID.
Debian 12 packages: ``munge slurmctld slurmd slurm-client`` (``tests/slurm/ci-install.sh``).

Run by hand: ``python tests/slurm/cluster.py`` starts a cluster, prints ``sinfo`` and waits
for Ctrl-C, then stops it.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "sinfo", "srun", "scancel", "scontrol")
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")
LOCK_FILE = Path("/run/lock/depthwidth-slurm-test.lock")
PARTITION = "debug"
# Finished jobs stay visible to squeue this long: the plugin's squeue status queries need
# MinJobAge >= 3 x slurm-init-seconds-before-status-checks, or it waits forever for a job.
MIN_JOB_AGE_S = 600


class SlurmUnavailable(RuntimeError):
    """Slurm cannot be started here; the message says why."""


def _die_with_parent() -> None:
    """In a daemon's child process before exec: get SIGTERM if the test process dies without stop()."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    raise SlurmUnavailable("cannot read MemTotal from /proc/meminfo")


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as err:
        return f"({path}: {err})"


class SlurmCluster:
    """One controller and one compute node (``hostname -s``) with ``nproc`` CPUs.

    ``gpus`` > 0 advertises that many fake GPUs (gres ``gpu:fake``, device file /dev/null):
    enough for Slurm to schedule ``--gpus`` jobs, though no process can use them.
    """

    def __init__(self, state_dir: Path | None = None, gpus: int = 0) -> None:
        self.dir = Path(state_dir or tempfile.mkdtemp(prefix="depthwidth-slurm-"))
        self.gpus = gpus
        self.node = socket.gethostname().split(".")[0]
        self.conf = self.dir / "slurm.conf"
        self.munge_socket = self.dir / "munge" / "munge.socket"
        self.procs: dict[str, subprocess.Popen] = {}
        self._lock_fd: int | None = None
        self._previous_link: str | None = None
        self._linked = False

    # -- environment for the Slurm client commands -------------------------------------------
    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def run_client(self, *args: str, timeout: float = 20) -> subprocess.CompletedProcess:
        return subprocess.run(args, env=self.env, capture_output=True, text=True, timeout=timeout)

    @property
    def controller_log(self) -> Path:
        return self.dir / "log" / "slurmctld.log"

    def submitted_job_ids(self) -> list[int]:
        """Ids of every batch job the controller accepted, from its log (no accounting needed)."""
        ids = []
        for line in self.controller_log.read_text(errors="replace").splitlines():
            if "_slurm_rpc_submit_batch_job:" in line and "JobId=" in line:
                ids.append(int(line.split("JobId=")[1].split()[0]))
        return ids

    # -- start ---------------------------------------------------------------------------------
    def start(self, timeout: float = 60) -> None:
        """Start munged, slurmctld and slurmd; wait for the node to be idle.

        Raises :class:`SlurmUnavailable` naming what is missing or what failed (with log tails).
        Whatever was started before a failure is stopped again.
        """
        missing = [c for c in DAEMONS + CLIENTS if shutil.which(c) is None]
        if missing:
            raise SlurmUnavailable(
                f"Slurm commands not found: {', '.join(missing)} (install them with: bash tests/slurm/ci-install.sh)"
            )
        if os.geteuid() != 0:
            raise SlurmUnavailable("slurmd must run as root to launch jobs; the tests are not running as root")
        try:
            self._take_lock()
            self._write_config()
            self._link_system_conf()
            self._start_munge()
            self._start_daemon("slurmctld", ["slurmctld", "-D", "-i", "-f", str(self.conf)])
            self._start_daemon("slurmd", ["slurmd", "-D", "-N", self.node, "-f", str(self.conf)])
            self._wait_idle(timeout)
        except BaseException:
            self.stop()
            raise

    def _take_lock(self) -> None:
        LOCK_FILE.parent.mkdir(parents=True, exist_ok=True)
        self._lock_fd = os.open(LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + 600
        while True:
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise SlurmUnavailable(f"another test cluster held {LOCK_FILE} for 10 minutes") from None
                time.sleep(1)

    def _write_config(self) -> None:
        for sub in ("state", "spool", "log", "munge"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        cpus = os.cpu_count() or 1
        # Leave the OS some memory: slurmd drains a node configured with more than it has.
        memory = int(_memory_mb() * 0.8)
        gres_types, node_gres = "", ""
        if self.gpus:
            gres_types, node_gres = "GresTypes=gpu", f"Gres=gpu:fake:{self.gpus}"
            (self.dir / "gres.conf").write_text(
                f"NodeName={self.node} Name=gpu Type=fake Count={self.gpus} File=/dev/null\n"
            )
        d = self.dir
        self.conf.write_text(
            f"""\
ClusterName=depthwidth
SlurmctldHost={self.node}(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
AuthType=auth/munge
CryptoType=crypto/munge
AuthInfo=socket={self.munge_socket}
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
{gres_types}
MinJobAge={MIN_JOB_AGE_S}
ReturnToService=2
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/log/slurmctld.log
SlurmdLogFile={d}/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName={self.node} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory} {node_gres} State=UNKNOWN
PartitionName={PARTITION} Nodes={self.node} Default=YES MaxTime=INFINITE State=UP
"""
        )

    def _link_system_conf(self) -> None:
        if SYSTEM_CONF.exists() or SYSTEM_CONF.is_symlink():
            if not SYSTEM_CONF.is_symlink():
                raise SlurmUnavailable(
                    f"{SYSTEM_CONF} is a regular file (a real Slurm installation?); "
                    "the test cluster needs that path and does not replace such a file"
                )
            self._previous_link = os.readlink(SYSTEM_CONF)
            SYSTEM_CONF.unlink()
        SYSTEM_CONF.parent.mkdir(parents=True, exist_ok=True)
        SYSTEM_CONF.symlink_to(self.conf)
        self._linked = True

    def _start_munge(self) -> None:
        key = self.dir / "munge" / "munge.key"
        key.write_bytes(secrets.token_bytes(1024))
        key.chmod(0o600)
        log = self.dir / "log" / "munged.log"
        self._start_daemon(
            "munged",
            [
                "munged",
                "--foreground",
                "--force",  # --force: munged refuses root otherwise
                f"--socket={self.munge_socket}",
                f"--key-file={key}",
                f"--pid-file={self.dir / 'munge' / 'munged.pid'}",
                f"--seed-file={self.dir / 'munge' / 'munged.seed'}",
                f"--log-file={log}",
            ],
        )
        self._wait_for(lambda: self.munge_socket.exists(), 15, "munged", log)

    def _start_daemon(self, name: str, argv: list[str]) -> None:
        out = open(self.dir / "log" / f"{name}.out", "w")
        # Own session: a Ctrl-C of the test run reaches the daemons only through stop().
        self.procs[name] = subprocess.Popen(
            argv,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        out.close()

    def _wait_for(self, ready, timeout: float, name: str, log: Path) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            for daemon, proc in self.procs.items():
                if proc.poll() is not None:
                    raise SlurmUnavailable(
                        f"{daemon} exited with status {proc.returncode} while waiting for {name}:\n"
                        f"{_tail(self.dir / 'log' / f'{daemon}.out')}\n{_tail(self.dir / 'log' / f'{daemon}.log')}"
                    )
            if time.monotonic() > deadline:
                raise SlurmUnavailable(f"{name} not ready after {timeout:.0f} s; {log}:\n{_tail(log)}")
            time.sleep(0.3)

    def _wait_idle(self, timeout: float) -> None:
        def idle() -> bool:
            try:
                out = self.run_client("sinfo", "-h", "-o", "%T", timeout=5).stdout
            except subprocess.TimeoutExpired:
                return False
            return "idle" in out

        self._wait_for(idle, timeout, "the node to be idle in sinfo", self.dir / "log" / "slurmd.log")

    # -- stop ----------------------------------------------------------------------------------
    def stop(self) -> None:
        """Cancel every job of this cluster, stop the daemons by PID, restore the system config."""
        if self.procs.get("slurmctld") and self.procs["slurmctld"].poll() is None:
            try:
                self.run_client("scancel", "--full", "--partition", PARTITION, timeout=10)
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    out = self.run_client("squeue", "-h", "-t", "PENDING,RUNNING,COMPLETING", "-o", "%i", timeout=5)
                    if out.returncode != 0 or not out.stdout.strip():
                        break
                    time.sleep(0.5)
            except subprocess.TimeoutExpired:
                pass
        for name in reversed(list(self.procs)):
            proc = self.procs.pop(name)
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
        if self._linked:
            if SYSTEM_CONF.is_symlink() and os.readlink(SYSTEM_CONF) == str(self.conf):
                SYSTEM_CONF.unlink()
                if self._previous_link is not None:
                    SYSTEM_CONF.symlink_to(self._previous_link)
            self._linked = False
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None


if __name__ == "__main__":
    cluster = SlurmCluster(gpus=int(os.environ.get("FAKE_GPUS", "0")))
    cluster.start()
    try:
        print(cluster.run_client("sinfo", "-o", "%P %N %c %m %G %T").stdout)
        print(f"SLURM_CONF={cluster.conf}; Ctrl-C stops the cluster")
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
