"""A throwaway one-node SLURM cluster on localhost, for tests (Debian's slurm 22.05 + munge).

``start_cluster()`` installs the Debian packages when they are missing and we are root (apt),
writes /etc/slurm/slurm.conf and gres.conf (SLURM_CONF does not reach jobs: the jobstep plugin
drops every SLURM_* variable before its inner srun), and starts munged, slurmctld and slurmd
directly (no systemd, no cgroups: proctrack/linuxproc, task/none). ``stop()`` ends only the
daemons it started, by their pids, and removes only the files it wrote. It raises
:class:`Unavailable` (a reason to skip) when SLURM cannot be installed or an existing SLURM
config is in the way; such a config is never overwritten.

Two fake GPUs (GRES files) let jobs request ``gpu``; Slurm then sets CUDA_VISIBLE_DEVICES.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PACKAGES = ("slurmctld", "slurmd", "munge", "slurm-client")
BINARIES = ("slurmctld", "slurmd", "munged", "sbatch", "squeue", "sinfo", "srun")
CONF_DIR = Path("/etc/slurm")
NUM_GPUS = 2


class Unavailable(RuntimeError):
    """SLURM cannot run here (the message says why)."""


def _which(name: str) -> str | None:
    return shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")


def _missing_binaries() -> list[str]:
    return [b for b in BINARIES if _which(b) is None]


def ensure_installed() -> None:
    if not _missing_binaries():
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise Unavailable(f"SLURM is not installed ({', '.join(_missing_binaries())} missing) "
                          "and cannot be installed here (needs root and apt-get)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *PACKAGES]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, text=True)
        res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if res.returncode != 0 or _missing_binaries():
        raise Unavailable("could not install SLURM from Debian's packages "
                          f"({' '.join(PACKAGES)}): {res.stderr.strip()[-300:]}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    return 4096


@dataclass
class Cluster:
    dir: Path
    node: str
    cpus: int
    memory_mb: int
    procs: dict = field(default_factory=dict)     # name -> Popen
    written: list = field(default_factory=list)   # config files this cluster wrote

    def log(self, name: str) -> str:
        path = self.dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def squeue(self) -> list[tuple[str, str, str]]:
        """(job id, state, name) of every job the controller still knows (MinJobAge = 3600 s)."""
        res = subprocess.run(["squeue", "--states=all", "--noheader", "--format=%i|%T|%j"],
                             capture_output=True, text=True, timeout=30)
        res.check_returncode()
        return [tuple(line.split("|", 2)) for line in res.stdout.splitlines() if line.strip()]

    def stop(self) -> None:
        for name in ("slurmd", "slurmctld", "munged"):
            proc = self.procs.pop(name, None)
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        for path in self.written:
            Path(path).unlink(missing_ok=True)
        self.written.clear()
        shutil.rmtree(self.dir, ignore_errors=True)


def _config(c: Cluster, ports) -> str:
    d = c.dir
    return f"""# written by metagrad's tests ({d}); removed when the test cluster stops
ClusterName=metagradtest
SlurmctldHost={c.node}(127.0.0.1)
SlurmctldPort={ports[0]}
SlurmdPort={ports[1]}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={d}/munge/munge.socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
ReturnToService=2
MinJobAge=3600
SlurmdParameters=config_overrides
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/slurmctld.log
SlurmdLogFile={d}/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
GresTypes=gpu
DefMemPerCPU={c.memory_mb // c.cpus}
NodeName={c.node} NodeAddr=127.0.0.1 CPUs={c.cpus} RealMemory={c.memory_mb} Gres=gpu:{NUM_GPUS} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


def _wait(predicate, timeout: float, what: str, cluster: Cluster):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for name, proc in cluster.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited ({proc.returncode}) while waiting for {what}:\n"
                                   f"{cluster.log(name)[-2000:]}")
        if predicate():
            return
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}:\n{cluster.log('slurmctld')[-1500:]}\n"
                       f"{cluster.log('slurmd')[-1500:]}")


def start_cluster(cpus: int | None = None) -> Cluster:
    """Install (if needed) and start a one-node cluster; the caller must ``stop()`` it."""
    ensure_installed()
    if os.geteuid() != 0:
        raise Unavailable("the test cluster's daemons (munged, slurmctld, slurmd) need root")
    for name in ("slurm.conf", "gres.conf"):
        if (CONF_DIR / name).exists():
            raise Unavailable(f"{CONF_DIR / name} already exists; the test never overwrites a "
                              "SLURM configuration")
    # munged needs every directory above its socket world-executable: not pytest's tmp_path
    base = Path(tempfile.mkdtemp(prefix="metagrad-slurm-", dir="/tmp"))
    base.chmod(0o755)
    cluster = Cluster(dir=base, node=socket.gethostname().split(".")[0],
                      cpus=cpus or os.cpu_count() or 1,
                      memory_mb=max(1024, int(_memory_mb() * 0.8)))
    try:
        for sub in ("munge", "state", "spool"):
            (base / sub).mkdir(mode=0o755)
        key = base / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        gpus = []
        for i in range(NUM_GPUS):  # fake GPUs: character device nodes (NVIDIA's major 195)
            gpu = base / f"nvidia{i}"
            try:
                os.mknod(gpu, stat.S_IFCHR | 0o666, os.makedev(195, i))
            except OSError as err:
                raise Unavailable(f"cannot make a fake GPU device node ({err})") from None
            gpus.append(str(gpu))
        CONF_DIR.mkdir(parents=True, exist_ok=True)
        conf = CONF_DIR / "slurm.conf"
        conf.write_text(_config(cluster, (_free_port(), _free_port())))
        cluster.written.append(conf)
        gres = CONF_DIR / "gres.conf"
        gres.write_text(f"NodeName={cluster.node} Name=gpu File={base}/nvidia[0-{NUM_GPUS - 1}]\n")
        cluster.written.append(gres)

        sock = base / "munge" / "munge.socket"
        cluster.procs["munged"] = subprocess.Popen(
            [_which("munged"), "--foreground", "--force", f"--socket={sock}", f"--key-file={key}",
             f"--pid-file={base}/munge/munged.pid", f"--log-file={base}/munged.log",
             f"--seed-file={base}/munge/munged.seed"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        _wait(sock.exists, 20, "munged's socket", cluster)
        # -c: clean state (no jobs or drained nodes from an earlier run); -D: foreground (our pid)
        cluster.procs["slurmctld"] = subprocess.Popen(
            [_which("slurmctld"), "-D", "-c"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        cluster.procs["slurmd"] = subprocess.Popen(
            [_which("slurmd"), "-D", "-N", cluster.node], stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT)

        def idle():
            res = subprocess.run(["sinfo", "--noheader", "--format=%T"], capture_output=True,
                                 text=True, timeout=10)
            return res.returncode == 0 and res.stdout.strip() in ("idle", "mixed")

        _wait(idle, 60, "the node to be idle", cluster)
    except BaseException:
        cluster.stop()
        raise
    return cluster
