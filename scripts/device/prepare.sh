#!/usr/bin/env bash
# Prepare the carry folders for a run on the device tool's H200 (MLX there comes from wheels carried from here):
#   .gpu1/  the first half of the mlx-cuda-13 wheel, the small wheels and SmolLM2's tokenizer files (bench_pipeline.py --tokenizer /tmp/tok)
#   .gpu2/  the second half, transformers' wheel, go.sh, collect.sh and the job scripts (scripts/device/job*.sh)
# (each call carries the repository's tracked files too, and all of it must stay under 64 MiB)
# These folders are listed in .git/info/exclude (they must not be committed). Then, on the device tool, back to back (the
# machine stays warm ~30 s between calls):
#   run(carry=[".gpu1"], command="mkdir -p /tmp/g1 && cp -r .gpu1/. /tmp/g1/")
#   run(carry=[".gpu2"], command="JOB=job_s34.sh bash .gpu2/go.sh 540")     # installs MLX, starts the job, collects
#   run(command="bash /tmp/collect.sh 560")                                  # again until the job log says JOB DONE
# Each collect hands back the job log and res.tgz (everything the job wrote under /tmp/res). Issue each collect call the moment
# the previous call returns, reading its output afterwards: past ~30 s idle the machine goes back with the job on it (session 33
# lost a job so), and a fresh one costs ~2 min of device time to start. The real models' GGUFs travel in parts, one call each:
#   .gpu3/, .gpu4/  SmolLM2's (98 MB) in two; .gpu5/ ... .gpu9/  Gemma-3-270M's (253 MB) in five; copy .gpuN/ to /tmp/gN.
set -euo pipefail
cd "$(dirname "$0")/../.."
for i in 1 2 3 4 5 6 7 8 9; do grep -qx "/.gpu$i/" .git/info/exclude 2>/dev/null || echo "/.gpu$i/" >> .git/info/exclude; done
mkdir -p .gpu1/tok .gpu2 .gpu3 .gpu4 .gpu5 .gpu6 .gpu7 .gpu8 .gpu9 /tmp/jang-wheels
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_35_x86_64 --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
  -d /tmp/jang-wheels mlx==0.32.4 mlx-cuda-13==0.32.4 mlx-lm==0.32.2 fastcore gguf transformers==5.20.0
( cd /tmp/jang-wheels && rm -f cuda.part.* && split -b 46000000 mlx_cuda_13-0.32.4-*.whl cuda.part. )
cp /tmp/jang-wheels/cuda.part.aa /tmp/jang-wheels/mlx-0*.whl /tmp/jang-wheels/mlx_lm-*.whl /tmp/jang-wheels/fastcore-*.whl \
   /tmp/jang-wheels/gguf-*.whl .gpu1/
cp /tmp/jang-wheels/cuda.part.ab /tmp/jang-wheels/transformers-*.whl .gpu2/
tok=$(.venv/bin/python -c "import jang_research; from jang_research.models import prepare_model; print(prepare_model('smollm2-135m-instruct', progress=False))")
cp "$tok"/{tokenizer.json,tokenizer_config.json,chat_template.jinja,config.json} .gpu1/tok/
# the real models' GGUFs, split so that each part travels in a call of its own: SmolLM2's in two (.gpu3, .gpu4), Gemma's in
# five (.gpu5 ... .gpu9); the job scripts join them again (job_s33.sh, common.sh's gemma_precision)
gguf() { .venv/bin/python -c "import jang_research; from jang_research.models import locate_gguf; print(locate_gguf('$1'))"; }
rm -f .gpu[3-9]/*.part.*
split -n 2 -d "$(gguf smollm2-135m-instruct)" /tmp/jang-wheels/smol.part.
mv /tmp/jang-wheels/smol.part.00 .gpu3/ && mv /tmp/jang-wheels/smol.part.01 .gpu4/
split -n 5 -d "$(gguf gemma-3-270m)" /tmp/jang-wheels/gemma.part.
for i in 0 1 2 3 4; do mv /tmp/jang-wheels/gemma.part.0$i .gpu$((i + 5))/; done
cp scripts/device/go.sh scripts/device/collect.sh scripts/device/common.sh scripts/device/job*.sh .gpu2/
du -sh .gpu[1-9]
