"""FAISS's side of `editdb bench peer`: the same keys and queries EditDB routes, in FAISS.

Reads two files the Java side wrote (int32 n, int32 dim, then n*dim float32, little-endian).
Mode "build": builds IndexHNSWFlat (inner product: the keys are unit vectors, so it is cosine) on
one thread, writes it to `index_path` (and the exact answers beside it) and prints the build
seconds. Mode "search": reads both and for each efSearch times the queries one at a time,
printing one tab-separated line per efSearch: ef, p50 ms, p99 ms, recall, and last a line "call",
p50 ms: the same call on an index of one key, what a query pays to reach FAISS's C++ from Python
(a Python caller pays it; FAISS's own search does not). The Java side runs the searches in rounds
between its own, so both are timed in the same minutes. A query's answer is what EditDB's hard
filter keeps: the top `k` keys by similarity, of those at or above `threshold`. Recall is against
the exact answer (IndexFlatIP) on the same keys.
"""
import sys
import time

import faiss
import numpy as np


def read(path):
    with open(path, "rb") as f:
        n, d = np.frombuffer(f.read(8), dtype="<i4")
        return np.frombuffer(f.read(), dtype="<f4").reshape(n, d)


def kept(scores, ids, threshold):
    return {int(i) for s, i in zip(scores, ids) if i >= 0 and s >= threshold}


def main():
    keys_path, queries_path, m, ef_construction, efs, k, threshold, index_path, mode = sys.argv[1:10]
    m, ef_construction, k, threshold = int(m), int(ef_construction), int(k), float(threshold)
    faiss.omp_set_num_threads(1)
    queries = read(queries_path)
    truth_path = index_path + ".truth.npz"
    if mode == "build":
        keys = read(keys_path)
        exact = faiss.IndexFlatIP(keys.shape[1])
        exact.add(keys)
        found = [exact.search(q.reshape(1, -1), k) for q in queries]  # once: rounds read it back
        scores = np.stack([s[0] for s, _ in found])
        ids = np.stack([i[0] for _, i in found])
        np.savez(truth_path, scores=scores, ids=ids)
        del exact
        index = faiss.IndexHNSWFlat(keys.shape[1], m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = ef_construction
        t0 = time.perf_counter()
        index.add(keys)
        build = time.perf_counter() - t0
        faiss.write_index(index, index_path)
        print(f"{build:.1f}", flush=True)
        return
    exact = np.load(truth_path)
    truth = [kept(s, i, threshold) for s, i in zip(exact["scores"], exact["ids"])]
    index = faiss.read_index(index_path)
    for ef in (int(e) for e in efs.split(",")):
        index.hnsw.efSearch = ef
        for q in queries[: min(200, len(queries))]:  # warm-up
            index.search(q.reshape(1, -1), k)
        times, found, wanted = [], 0, 0
        for q, t in zip(queries, truth):
            t1 = time.perf_counter_ns()
            s, i = index.search(q.reshape(1, -1), k)
            times.append(time.perf_counter_ns() - t1)
            got = kept(s[0], i[0], threshold)
            wanted += len(t)
            found += len(got & t)
        times.sort()
        p50 = times[len(times) // 2] / 1e6
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))] / 1e6
        recall = 1.0 if wanted == 0 else found / wanted
        print(f"{ef}\t{p50:.3f}\t{p99:.3f}\t{recall:.4f}", flush=True)
    print(f"call\t{call_ms(queries, k):.4f}", flush=True)


def call_ms(queries, k):
    """p50 ms of a search on an index of one key: the call's own cost from Python."""
    one = faiss.IndexFlatIP(queries.shape[1])
    one.add(queries[:1])
    times = []
    for q in list(queries) * 2:
        t1 = time.perf_counter_ns()
        one.search(q.reshape(1, -1), k)
        times.append(time.perf_counter_ns() - t1)
    times = sorted(times[len(queries):])  # the first pass warms up
    return times[len(times) // 2] / 1e6


if __name__ == "__main__":
    main()
