#!/usr/bin/env bash
# Wait until the job writes /tmp/res/DONE or $1 seconds pass; then hand back the job log and a tarball of /tmp/res.
end=$(( $(date +%s) + ${1:-540} ))
while [ ! -e /tmp/res/DONE ] && [ "$(date +%s)" -lt "$end" ]; do sleep 5; done
cp /tmp/res/job.log "$OUT/job.log" 2>/dev/null
(cd /tmp/res && tar czf "$OUT/res.tgz" --exclude='*.safetensors' . )
nvidia-smi --query-gpu=memory.used --format=csv,noheader
tail -c 6000 /tmp/res/job.log
[ -e /tmp/res/DONE ] && echo "=== JOB DONE"
