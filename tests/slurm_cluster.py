"""A one-node SLURM cluster on this machine, for testing the SLURM profile for real.

Debian's ``slurm-wlm`` and ``munge`` packages provide the daemons. Everything the cluster needs
(munge key and socket, ``slurm.conf``, state and spool directories, logs) lives in one scratch
directory; the daemons run in the foreground as children of this process, so they are stopped
by pid and nothing else on the machine is touched. The node advertises generic ``gpu`` GRES
(count only, no device files) so that the profile's ``gpu: 1`` requests are schedulable; the
jobs themselves find no CUDA device and run on the CPU. CPUs and memory are advertised
generously (``config_overrides``; memory not consumable, ``CR_Core``), so the profile's
cluster-sized requests (8 CPUs per GPU, 32 GB) are accepted on a 2-core machine.

Clients find the cluster through ``SLURM_CONF`` (see ``LocalSlurm.env``), except one:
snakemake-executor-plugin-slurm-jobstep (0.6.1) strips every ``SLURM_*`` variable but the job
id from the environment of the ``srun`` it starts inside a job, so ``srun`` reads the
compiled-in default ``/etc/slurm/slurm.conf``. Where that file is absent (a fresh machine, CI),
it becomes a symlink to this cluster's configuration for the cluster's lifetime; where a real
one exists, the test cluster refuses to start rather than touch it. A link left behind by a test
cluster that was killed before it could clean up (its slurmctld no longer running) is stale and
is replaced.

Usable as a script too (``python tests/slurm_cluster.py DIR`` starts a cluster and waits).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

#: Executables the cluster needs; a machine without them cannot run the SLURM test.
REQUIRED = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol")
#: Where srun inside a job looks for the configuration (Debian's compiled-in default).
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")
#: Marks configurations written by this module (see ``stale_test_link``).
CLUSTER_NAME = "authxai-test"


def missing_executables() -> list[str]:
    """The SLURM/munge programs not found on PATH (``/usr/sbin`` included)."""
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    return [name for name in REQUIRED if shutil.which(name, path=path) is None]


def stale_test_link() -> bool:
    """Whether ``SYSTEM_CONF`` is a link left by a test cluster that no longer runs.

    A cluster killed with its test (SIGKILL, a lost session) cannot remove its link; the next
    one recognises the link by the cluster name in the target and by its dead slurmctld pid.
    """
    if not SYSTEM_CONF.is_symlink():
        return False
    target = SYSTEM_CONF.resolve()
    if not target.exists():
        return True
    if f"ClusterName={CLUSTER_NAME}" not in target.read_text(errors="replace"):
        return False
    pid_file = target.parent / "slurmctld.pid"
    try:
        os.kill(int(pid_file.read_text().split()[0]), 0)
    except (OSError, ValueError, IndexError):
        return True
    return False


def system_conf_in_use() -> bool:
    """Whether a SLURM configuration other than a stale test link is installed at ``SYSTEM_CONF``."""
    return (SYSTEM_CONF.exists() or SYSTEM_CONF.is_symlink()) and not stale_test_link()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def slurm_conf(root: Path, node: str, cpus: int, memory_mb: int, gpus: int) -> str:
    """``slurm.conf`` of a one-node cluster without accounting, rooted in ``root``."""
    return f"""\
ClusterName={CLUSTER_NAME}
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={root}/munge/munge.socket
CredType=cred/munge
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
MinJobAge=3600
SchedulerType=sched/backfill
GresTypes=gpu
NodeName={node} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} Gres=gpu:{gpus} State=UNKNOWN
PartitionName=debug Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""


class LocalSlurm:
    """Start/stop munged, slurmctld and slurmd in ``root``; ``env`` points clients at them."""

    def __init__(self, root: Path, cpus: int | None = None, memory_mb: int = 128000, gpus: int = 1) -> None:
        self.root = Path(root).resolve()
        self.node = socket.gethostname().split(".")[0]
        self.cpus = cpus or max(16, os.cpu_count() or 1)
        self.memory_mb = memory_mb
        self.gpus = gpus
        self.procs: list[subprocess.Popen] = []
        self.linked_conf = False
        self.env = {**os.environ, "SLURM_CONF": str(self.root / "slurm.conf")}
        self.env["PATH"] = self.env.get("PATH", "") + ":/usr/sbin:/sbin"

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self, timeout: float = 60) -> LocalSlurm:
        if system_conf_in_use():
            raise RuntimeError(f"{SYSTEM_CONF} exists: a SLURM is configured here; not replacing it")
        if stale_test_link():
            SYSTEM_CONF.unlink()
        for sub in ("munge", "state", "spool", "log"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        key = self.root / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        (self.root / "munge").chmod(0o700)
        (self.root / "slurm.conf").write_text(slurm_conf(self.root, self.node, self.cpus, self.memory_mb, self.gpus))
        (self.root / "gres.conf").write_text(f"AutoDetect=off\nName=gpu File=/dev/null Count={self.gpus}\n")
        SYSTEM_CONF.parent.mkdir(parents=True, exist_ok=True)
        SYSTEM_CONF.symlink_to(self.root / "slurm.conf")
        self.linked_conf = True
        munge = self.root / "munge"
        self._spawn(
            "munged",
            "--foreground",
            "--force",
            f"--key-file={key}",
            f"--socket={munge}/munge.socket",
            f"--pid-file={munge}/munged.pid",
            f"--log-file={munge}/munged.log",
            f"--seed-file={munge}/munged.seed",
        )
        self._wait(lambda: (munge / "munge.socket").exists(), timeout, "munged socket")
        conf = str(self.root / "slurm.conf")
        self._spawn("slurmctld", "-D", "-i", "-f", conf)
        self._wait(lambda: self._ok("scontrol", "ping"), timeout, "slurmctld (scontrol ping)")
        self._spawn("slurmd", "-D", "-f", conf)
        self._wait(self._node_idle, timeout, f"node {self.node} idle (sinfo)")
        return self

    def stop(self) -> None:
        """Stop only the daemons this object started (slurmd, slurmctld, munged), by pid."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.procs.clear()
        if self.linked_conf and SYSTEM_CONF.is_symlink():
            SYSTEM_CONF.unlink()
        self.linked_conf = False

    def __enter__(self) -> LocalSlurm:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- helpers -------------------------------------------------------------------------------
    def run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=60, check=check)

    def logs(self) -> str:
        """The daemons' log tails, for a failing test's message."""
        parts = []
        for log in sorted((self.root / "log").glob("*.log")) + [self.root / "munge" / "munged.log"]:
            if log.exists():
                parts.append(f"== {log.name}\n" + "\n".join(log.read_text().splitlines()[-30:]))
        return "\n".join(parts)

    def _spawn(self, name: str, *args: str) -> None:
        out = open(self.root / "log" / f"{name}.stdout", "w")  # noqa: SIM115 - closed with the process
        self.procs.append(
            subprocess.Popen(
                [shutil.which(name, path=self.env["PATH"]), *args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        )

    def _ok(self, *cmd: str) -> bool:
        return self.run(*cmd, check=False).returncode == 0

    def _node_idle(self) -> bool:
        out = self.run("sinfo", "-h", "-N", "-o", "%t", check=False).stdout.strip()
        return out.startswith("idle")

    def _wait(self, ready, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for proc in self.procs:
                if proc.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"{proc.args[0]} exited ({proc.returncode}) while waiting for {what}")
            if ready():
                return
            time.sleep(0.5)
        logs = self.logs()
        self.stop()
        raise RuntimeError(f"local SLURM: timed out waiting for {what}\n{logs}")


if __name__ == "__main__":
    import sys

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    cluster = LocalSlurm(Path(sys.argv[1] if len(sys.argv) > 1 else "slurm-local")).start()
    print(f"export SLURM_CONF={cluster.env['SLURM_CONF']}  # Ctrl-C stops the cluster")
    try:
        signal.pause()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        cluster.stop()
