"""PCA cluster scores from class sums vs scikit-learn, at the paper's shape.

    python bench/pca.py [--samples 500] [--nodes 12] [--orders 50] [--seeds 20]

One network's `pca` stage work: 500 evaluation samples (half of n_test = 1000)
of 12 nodes, removal in 50 random orders (three concepts each) plus a relay
and a supervised order per concept (random orders here; the cost does not
depend on which).

  fast     rnninfo.pca.removal_scores: every distinct node set projected once
           (numpy SVD), scores from class sums and one float64 distance matrix
           per projection shared by the three concepts
  sklearn  the plain way: for every order and every removal, sklearn's PCA and
           silhouette_score / davies_bouldin_score / calinski_harabasz_score
           for each concept

Checks the two agree to 1e-9 and prints both times, the ratio, and the fast
way's projected job-seconds for --seeds networks (one job each, plus start-up
not counted here).
"""

import argparse
import time

import numpy as np

import rnninfo.pca as pca


def sklearn_removal_scores(states, orders, labels):
    from sklearn.decomposition import PCA
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

    R, N = orders.shape
    out = np.empty((R, N, labels.shape[1], 3))
    for r, order in enumerate(orders):
        for k in range(N):
            left = sorted(order[k:].tolist())
            z = PCA(n_components=min(2, len(left)), svd_solver="full").fit_transform(states[:, left])
            for j in range(labels.shape[1]):
                lab = labels[:, j]
                out[r, k, j] = (silhouette_score(z, lab), davies_bouldin_score(z, lab), calinski_harabasz_score(z, lab))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--nodes", type=int, default=12)
    ap.add_argument("--orders", type=int, default=50)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--blas-threads", type=int, default=1)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    n, N = args.samples, args.nodes
    labels = rng.integers(0, 2, size=(n, 3))
    states = np.tanh(rng.normal(size=(n, N)) + labels @ rng.normal(size=(3, N)))  # some nodes carry concepts
    random = pca.random_orders(N, args.orders, rng)
    fixed = [pca.random_orders(N, 2, rng) for _ in range(3)]  # stand-ins for relay and supervised orders

    def fast():
        out = [pca.removal_scores(states, random, labels)]
        out += [pca.removal_scores(states, fixed[c], labels[:, c]) for c in range(3)]
        return out

    def plain():
        out = [sklearn_removal_scores(states, random, labels)]
        out += [sklearn_removal_scores(states, fixed[c], labels[:, c : c + 1]) for c in range(3)]
        return out

    from threadpoolctl import threadpool_limits

    with threadpool_limits(args.blas_threads):  # as in the pipeline's one-core jobs (the stage sets 1)
        fast()  # warm-up
        t0, c0 = time.perf_counter(), time.process_time()
        a = fast()
        t_fast, c_fast = time.perf_counter() - t0, time.process_time() - c0
        t0 = time.perf_counter()
        b = plain()
        t_plain = time.perf_counter() - t0
    diff = max(float(np.max(np.abs(x - y) / np.maximum(1.0, np.abs(y)))) for x, y in zip(a, b))
    n_proj = (args.orders + 6) * N
    print(f"one network: {n} samples x {N} nodes, {args.orders} random orders x 3 concepts + 6 fixed orders"
          f" ({n_proj} removal steps)")
    print(f"largest relative difference fast vs sklearn: {diff:.1e}")
    print(f"sklearn  {t_plain:8.2f} s")
    print(f"fast     {t_fast:8.2f} s")
    print(f"speed-up {t_plain / t_fast:8.2f} x")
    print(f"fast, {args.seeds} networks: {args.seeds * t_fast:.1f} job-seconds of scoring, "
          f"{args.seeds * c_fast:.1f} CPU-seconds (plus start-up per job; wall time suffers on a busy machine)")


if __name__ == "__main__":
    main()
