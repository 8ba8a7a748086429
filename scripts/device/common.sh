# Sourced by the job scripts on the device machine: the environment every job runs in, and stamp() for the log.
export PYTHONPATH=/tmp/site:/tmp/repo PYTHONUNBUFFERED=1 JANG_DATA=/tmp/repo/data MLX_ENABLE_TF32=1
R=/tmp/res
stamp() { echo "=== $(date +%H:%M:%S) $*"; }
# gpu_tests LOG SECONDS TEST...: pytest on the named tests within SECONDS, each test's verdict line appended to $R/LOG as it
# finishes (-v: a run the timeout cuts still reports the tests it finished; -q -rA would report none)
gpu_tests() {
  local log=$1 limit=$2
  shift 2
  timeout "$limit" python3 -m pytest -v -p no:cacheprovider "$@" 2>&1 | grep --line-buffered -E " (PASSED|FAILED|ERROR|SKIPPED)|Error|assert|passed|failed" \
    | head -400 | tee -a "$R/$log"
}
stamp start
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv,noheader
# The whole 48-block Qwen3-30B-A3B shape through bench_pipeline.py stages "$@", its 61 GB bf16 source on the RAM disk when that
# has room (the 64 GB work disk cannot hold the source and its bundle); log and JSON as $R/p30full.*
run_30b_full() {
  local shm
  shm=$(df -BG --output=avail /dev/shm | tail -1 | tr -dc 0-9)
  if [ "${shm:-0}" -ge 66 ]; then
    timeout 540 python3 benchmarks/bench_pipeline.py --shape qwen3-30b-a3b --tokenizer /tmp/tok --work /tmp/bp30 --source /dev/shm/qwen3-30b-a3b-bf16 --tf32 \
      --stages "$@" --json $R/p30full.json 2>&1 | tee $R/p30full.log
  else
    echo "the RAM disk has ${shm} GB free: the 61 GB source does not fit, the 48-block run is skipped" | tee $R/p30full.log
  fi
  rm -rf /dev/shm/qwen3-30b-a3b-bf16 /tmp/bp30
}
# Gemma-3-270M's GGUF from its five carried parts (/tmp/g5 ... /tmp/g9), evaluation's per-token metrics on the host and the
# device (probe_token_metrics.py), then Gemma scored in float32 and bfloat16 within $1 seconds (default 400): logs and JSON in $R
gemma_precision() {
  cat /tmp/g5/gemma.part.* /tmp/g6/gemma.part.* /tmp/g7/gemma.part.* /tmp/g8/gemma.part.* /tmp/g9/gemma.part.* > /tmp/gemma-3-270m.gguf && sha256sum /tmp/gemma-3-270m.gguf
  stamp token-metrics
  python3 benchmarks/probe_token_metrics.py 2>&1 | tee $R/token_metrics_h200.log
  stamp precision-gemma
  MLX_ENABLE_TF32=0 timeout "${1:-400}" python3 benchmarks/bench_precision.py --model /tmp/gemma-3-270m.gguf --windows 16 --window-len 128 \
    --dtypes float32 bfloat16 --json $R/precision_gemma_h200.json 2>&1 | tee $R/precision_gemma_h200.log
}
# The package before a change (/tmp/oldrepo, carried; see go.sh) and after it (/tmp/repo), alternating for $1 rounds, one process
# each: the file of the package it imports, then bench_decode.py with the remaining arguments; appended to $R/$2
alternate_decode() {
  local rounds=$1 log=$R/$2 r v pp
  shift 2
  for r in $(seq "$rounds"); do
    for v in old new; do
      stamp "decode round $r, $v code"
      if [ $v = old ]; then pp=/tmp/site:/tmp/oldrepo; else pp=/tmp/site:/tmp/repo; fi
      (cd /tmp && PYTHONPATH=$pp python3 -c "import jang_research; print(jang_research.__file__)") 2>&1 | tee -a "$log"
      PYTHONPATH=$pp timeout 150 python3 benchmarks/bench_decode.py "$@" 2>&1 | tee -a "$log"
    done
  done
}
