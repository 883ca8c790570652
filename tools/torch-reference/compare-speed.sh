#!/usr/bin/env bash
# Same-machine speed comparison (docs/PROTOCOL.md §4): rounds alternating the PyTorch Hiformer (bench.py) and
# our JMH benchmarks on the same prepared batches, one thread each; prints medians and ratios.
#   tools/torch-reference/compare-speed.sh            # ROUNDS=5, data from ../shared/data
# Needs Debian's python3-torch and python3-sklearn (see README.md). Takes about 5 minutes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
data=${HIFORMER_DATA_DIR:-$root/../shared/data}
rounds=${ROUNDS:-5}
out=${OUT:-$root/runs/speed-compare}
jar=$root/bench/target/benchmarks.jar
mkdir -p "$out"
if [ ! -f "$jar" ]; then (cd "$root" && mvn -B -q -DskipTests package -pl bench -am); fi
# One BLAS thread on both sides; glibc told to keep freed memory, as the protocol's reference run did
# (and as a JVM with a fixed heap does anyway).
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
export MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=268435456
for r in $(seq 1 "$rounds"); do
  echo "round $r/$rounds: pytorch" >&2
  (cd "$here" && /usr/bin/python3 bench.py --data "$data") > "$out/torch-$r.jsonl"
  echo "round $r/$rounds: java" >&2
  java -jar "$jar" 'TrainStepBenchmark|ScoreBenchmark' -p model=hiformer -f 1 -wi 2 -w 1 -i 1 -r 2 \
    -jvmArgsAppend "-Dhiformer.data.dir=$data" -rf json -rff "$out/java-$r.json" > "$out/java-$r.log"
done
/usr/bin/python3 "$here/summarize_speed.py" "$out"
