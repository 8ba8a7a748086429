#!/usr/bin/env bash
# On the device machine: install MLX (CUDA) from the carried wheels, copy the repo to /tmp/repo, start the job (JOB=, default
# job_s34.sh) in its own session (it outlives this call), then collect for up to $1 seconds. See prepare.sh.
set -u
mkdir -p /tmp/res
cat /tmp/g1/cuda.part.aa .gpu2/cuda.part.ab > /tmp/mlx_cuda_13-0.32.4-py3-none-manylinux_2_35_x86_64.whl
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site /tmp/mlx_cuda_13-0.32.4-py3-none-manylinux_2_35_x86_64.whl /tmp/g1/*.whl .gpu2/*.whl > /tmp/res/pip.log 2>&1 || { cat /tmp/res/pip.log; exit 1; }
rm -rf /tmp/repo && mkdir -p /tmp/repo && cp -r benchmarks jang_research tests data pyproject.toml /tmp/repo/ && cp -r /tmp/g1/tok /tmp/tok
cp .gpu2/collect.sh .gpu2/common.sh /tmp/ && cp .gpu2/${JOB:-job_s34.sh} /tmp/job.sh
# an older version of the package, where a job compares code before and after a change (job_s42.sh)
if [ -d .gpu2/old ]; then rm -rf /tmp/oldrepo && cp -r .gpu2/old /tmp/oldrepo; fi
cd /tmp/repo && setsid nohup bash /tmp/job.sh > /tmp/res/job.log 2>&1 < /dev/null &
sleep 2
bash /tmp/collect.sh "${1:-540}"
