# List-heavy workload (CPython 3). Mirrors bench/sieve.stark: a sieve of Eratosthenes over
# a list of N + 1 flags built by appending (as the STARK version does), then the primes.
# Usage: python3 sieve.py [N]   (N defaults to 1000000; N >= 2)
import sys


def sieve(n):
    flags = []
    for idx in range(n + 1):
        flags.append(True)
    flags[0] = False
    flags[1] = False
    i = 2
    while i * i <= n:
        if flags[i]:
            for j in range(i * i, n + 1, i):
                flags[j] = False
        i += 1
    primes = []
    for k in range(n + 1):
        if flags[k]:
            primes.append(k)
    return primes


def main():
    argv = sys.argv[1:]
    n = 1000000
    if len(argv) > 0:
        n = int(argv[0])
    primes = sieve(n)
    total = 0
    for p in primes:
        total += p
    print(f"primes up to {n}: {len(primes)}")
    print(f"sum: {total}")
    print(f"largest: {primes[len(primes) - 1]}")


main()
