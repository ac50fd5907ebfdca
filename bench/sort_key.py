# The same as sort_key.stark: sort N dataclasses by a key function.
import sys
from dataclasses import dataclass

@dataclass
class Person:
    age: int
    id: int

def main():
    n = int(sys.argv[1])
    people = []
    seed = 42
    for i in range(n):
        seed = (seed * 1103515245 + 12345) % 2147483648
        people.append(Person((seed // 65536) % 100, i))
    people.sort(key=lambda p: p.age)
    check = 0
    for i in range(n):
        check += people[i].id * (i % 1000)
    print(people[0].age, people[n - 1].age, check)

main()
