# Sourced by the job scripts on the device machine: the environment every job runs in, and stamp() for the log.
export PYTHONPATH=/tmp/site:/tmp/repo PYTHONUNBUFFERED=1 JANG_DATA=/tmp/repo/data MLX_ENABLE_TF32=1
R=/tmp/res
stamp() { echo "=== $(date +%H:%M:%S) $*"; }
stamp start
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv,noheader
