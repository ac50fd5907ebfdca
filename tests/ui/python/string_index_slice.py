from stark_print import sprint

a = "hello, world"
u = "añb→c😀d"
sprint(a[0], a[4], a[-1], a[-12], len(a))
sprint(u[0], u[1], u[3], u[5], u[-1], u[-2], len(u))
sprint(a[0:5], a[7:], a[:5], a[-5:], a[-5:-1], a[3:3], a[5:2], a[100:], a[-100:3])
sprint(a[::2], a[1::3], a[::-1], a[::-2], a[8:2:-1], a[-1:-6:-1], a[2:8:-1])
sprint(u[1:4], u[::-1], u[-3:], u[:100], u[::3], u[5:1:-2])
n = 4
sprint(a[n], a[:n], a[n:], a[-n:], a[n:n + 3], a[n - 1:n + 1])
sprint("ab" * 3, 3 * "xy", "-" * 0, "z" * -2, "é" * 2, len("abc" * 1000))
sprint("apple" < "banana", "apple" < "Apple", "abc" <= "abc", "abd" > "abc", "b" >= "ab")
sprint("é" > "z", "😀" > "→", "" < "a", "a" < "aa")
xs = [10, 20, 30, 40, 50, 60]
sprint(xs[1:4], xs[:2], xs[3:], xs[-2:], xs[::2], xs[::-1], xs[4:1:-1], xs[10:], xs[:-10])
words = ["zero", "one", "two", "three"]
head = words[:2]
tail = words[2:]
sprint(head, tail, len(head) + len(tail), words[1:3][0], words[::-1][0][1:])
