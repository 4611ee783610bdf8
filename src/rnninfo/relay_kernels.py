"""Compiled (numba) loops of the relay search; `rnninfo.relay` imports them lazily.

The plain numpy code in `rnninfo.relay` (`_greedy_batch`, the bincount null)
is the reference: tests check that these loops give the same orders and the
same values to float rounding (only the order of summation differs).

Both loops rest on one identity: with F(A) = sum over the cells of A of
c log2 c (the ``clogc`` table), the interaction information of a state S is

    I3(S) = (F(S,xin) + F(S,xout) - F(S) - F(S,xin,xout)) / n + I(xin; xout),

and the bracket is a sum over the occupied states of S of a term that
depends only on that state's four counts (c00, c01, c10, c11) of the pairs
(x_in, x_out). A state seen once contributes exactly 0 (1 log 1 = 0).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, inline="always")
def _cell(c0, c1, c2, c3, clogc):
    """One state's part of F(S,xin) + F(S,xout) - F(S) - F(S,xin,xout)."""
    return (
        clogc[c0 + c1] + clogc[c2 + c3] + clogc[c0 + c2] + clogc[c1 + c3]
        - clogc[c0 + c1 + c2 + c3] - clogc[c0] - clogc[c1] - clogc[c2] - clogc[c3]
    )


@numba.njit(cache=True)
def null_sums(s, xx, perms, clogc):
    """The bracket of I3 (see the module) for every concept and permutation: (C, P).

    ``s`` (n,): dense state codes 0..K-1 of the states (every code occurs);
    ``xx`` (C, n): pair codes 2 x_in + x_out per concept; ``perms`` (P, n):
    sample i is paired with the pair of sample ``perms[p, i]`` (as
    ``xx[:, perms]`` in the reference). States seen once are skipped (their
    term is 0), so each permutation costs the samples in repeated states.
    """
    n = s.size
    k = 0
    for i in range(n):
        if s[i] + 1 > k:
            k = s[i] + 1
    size = np.zeros(k, np.int64)
    for i in range(n):
        size[s[i]] += 1
    # the samples of states seen more than once (in sample order) and their group
    group = np.full(k, -1, np.int64)
    n_groups = 0
    n_members = 0
    for g in range(k):
        if size[g] > 1:
            group[g] = n_groups
            n_groups += 1
            n_members += size[g]
    members = np.empty(n_members, np.int64)
    member_group = np.empty(n_members, np.int64)
    a = 0
    for i in range(n):
        if group[s[i]] >= 0:
            members[a] = i
            member_group[a] = 4 * group[s[i]]
            a += 1
    n_c, n_p = xx.shape[0], perms.shape[0]
    counts = np.zeros(4 * n_groups, np.int64)
    out = np.zeros((n_c, n_p))
    for c in range(n_c):
        x = xx[c]
        for p in range(n_p):
            perm = perms[p]
            for a in range(n_members):
                counts[member_group[a] + x[perm[members[a]]]] += 1
            f = 0.0
            for g in range(n_groups):
                q = 4 * g
                f += _cell(counts[q], counts[q + 1], counts[q + 2], counts[q + 3], clogc)
                counts[q] = 0
                counts[q + 1] = 0
                counts[q + 2] = 0
                counts[q + 3] = 0
            out[c, p] = f
    return out


@numba.njit(cache=True)
def greedy(bits, xx, mi, clogc, tie_tol):
    """Greedy relay orders of D datasets: (order (D, N), info (D, N)), as `relay._greedy_batch`.

    ``bits`` (B, N, n) uint8, node-major: B = 1 (every dataset shares the
    states) or B = D; ``xx`` (D, n) pair codes; ``mi`` (D,) I(x_in; x_out).
    Each step tries every node j still in R: the state of Y_0 + j is
    2 * code(Y_0) + bit_j (Y_0's code kept dense, < K), counted over the
    samples with a stamp per state instead of clearing a table; the node whose
    move leaves the smallest I3(Y_0) (the largest I_R) leaves, ties within
    ``tie_tol`` to the lowest index. I_R(all) = I3 of the last candidate (all nodes).
    """
    n_d, n = xx.shape
    n_nodes = bits.shape[1]
    order = np.empty((n_d, n_nodes), np.int64)
    info = np.empty((n_d, n_nodes))
    counts = np.zeros((2 * n, 4), np.int64)
    stamp = np.full(2 * n, -1, np.int64)
    touched = np.empty(n, np.int64)
    cand = np.empty(n, np.int64)
    y0 = np.empty(n, np.int64)
    relabel = np.full(2 * n, -1, np.int64)
    i3_y0 = np.empty(n_nodes + 1)
    remaining = np.empty(n_nodes, np.int64)
    values = np.empty(n_nodes)
    tick = 0
    for d in range(n_d):
        b = bits[0] if bits.shape[0] == 1 else bits[d]
        x = xx[d]
        for i in range(n):
            y0[i] = 0
        for j in range(n_nodes):
            remaining[j] = j
        m = n_nodes
        i3_y0[0] = 0.0
        for step in range(n_nodes):
            for a in range(m):
                j = remaining[a]
                n_touched = 0
                for i in range(n):
                    code = 2 * y0[i] + b[j, i]
                    if stamp[code] != tick:
                        stamp[code] = tick
                        counts[code, 0] = 0
                        counts[code, 1] = 0
                        counts[code, 2] = 0
                        counts[code, 3] = 0
                        touched[n_touched] = code
                        n_touched += 1
                    counts[code, x[i]] += 1
                tick += 1
                f = 0.0
                for u in range(n_touched):
                    code = touched[u]
                    f += _cell(counts[code, 0], counts[code, 1], counts[code, 2], counts[code, 3], clogc)
                values[a] = f / n + mi[d]
            lowest = values[0]
            for a in range(1, m):
                if values[a] < lowest:
                    lowest = values[a]
            pick = 0
            while values[pick] > lowest + tie_tol:
                pick += 1
            j = remaining[pick]
            order[d, step] = j
            i3_y0[step + 1] = values[pick]
            # Y_0 gains node j: new dense codes (first-seen order)
            n_codes = 0
            for i in range(n):
                cand[i] = 2 * y0[i] + b[j, i]
            for i in range(n):
                code = cand[i]
                if relabel[code] < 0:
                    relabel[code] = n_codes
                    n_codes += 1
                y0[i] = relabel[code]
            for i in range(n):
                relabel[cand[i]] = -1
            for a in range(pick, m - 1):
                remaining[a] = remaining[a + 1]
            m -= 1
        total = i3_y0[n_nodes]  # I3 of all nodes
        for step in range(n_nodes):
            info[d, step] = total - i3_y0[step]
    return order, info

