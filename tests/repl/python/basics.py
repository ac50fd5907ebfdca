1 + 2
x = 10
x * 4
7 // 2
2 ** 10
10 > 3
total = 0
for i in range(0, 5):
    total += i

total
def double(n):
    return n * 2

double(21)
a, b = (1, "two")
a + 1
f"{3.14159:.2f}"
[v * 2 for v in [1, 2, 3]]
sorted([3, 1, 2])
xs = [1, 2]
xs.append(3)
xs
