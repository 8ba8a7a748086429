#!/usr/bin/env bash
# Prepare the two carry folders for a run on the device tool's H200 (MLX there comes from wheels carried from here):
#   .gpu1/  the first half of the mlx-cuda-13 wheel and SmolLM2's tokenizer files (bench_pipeline.py --tokenizer /tmp/tok)
#   .gpu2/  the second half, the other wheels, go.sh, collect.sh and the job scripts (scripts/device/job*.sh)
# Both folders are listed in .git/info/exclude (they must not be committed). Then, on the device tool, back to back (the
# machine stays warm ~30 s between calls):
#   run(carry=[".gpu1"], command="mkdir -p /tmp/g1 && cp -r .gpu1/. /tmp/g1/")
#   run(carry=[".gpu2"], command="JOB=job_s34.sh bash .gpu2/go.sh 540")     # installs MLX, starts the job, collects
#   run(command="bash /tmp/collect.sh 560")                                  # again until the job log says JOB DONE
# Each collect hands back the job log and res.tgz (everything the job wrote under /tmp/res). Issue each collect call the moment
# the previous call returns, reading its output afterwards: past ~30 s idle the machine goes back with the job on it (session 33
# lost a job so), and a fresh one costs ~2 min of device time to start. A carried GGUF (SmolLM2's, 98 MB) needs two calls of its
# own: split -n 2 it into .gpu3/ and .gpu4/ and copy each to /tmp/g3, /tmp/g4 (job_s33.sh joins them).
set -euo pipefail
cd "$(dirname "$0")/../.."
grep -qx '/.gpu1/' .git/info/exclude 2>/dev/null || printf '/.gpu1/\n/.gpu2/\n' >> .git/info/exclude
mkdir -p .gpu1/tok .gpu2 /tmp/jang-wheels
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_35_x86_64 --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
  -d /tmp/jang-wheels mlx==0.32.4 mlx-cuda-13==0.32.4 mlx-lm==0.32.2 fastcore gguf transformers==5.20.0
( cd /tmp/jang-wheels && rm -f cuda.part.* && split -b 46000000 mlx_cuda_13-0.32.4-*.whl cuda.part. )
cp /tmp/jang-wheels/cuda.part.aa .gpu1/
cp /tmp/jang-wheels/cuda.part.ab /tmp/jang-wheels/mlx-0*.whl /tmp/jang-wheels/mlx_lm-*.whl /tmp/jang-wheels/fastcore-*.whl \
   /tmp/jang-wheels/gguf-*.whl /tmp/jang-wheels/transformers-*.whl .gpu2/
tok=$(.venv/bin/python -c "import jang_research; from jang_research.models import prepare_model; print(prepare_model('smollm2-135m-instruct', progress=False))")
cp "$tok"/{tokenizer.json,tokenizer_config.json,chat_template.jinja,config.json} .gpu1/tok/
cp scripts/device/go.sh scripts/device/collect.sh scripts/device/common.sh scripts/device/job*.sh .gpu2/
du -sh .gpu1 .gpu2
