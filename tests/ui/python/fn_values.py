def double(x):
    return x * 2
def apply(f, x):
    return f(x)
def greet(name):
    print(f"hello {name}")
def twice(f):
    return lambda x: f(f(x))
f = double
print(f(3))
print(apply(double, 5))
print(apply(lambda x: x + 100, 5))
print(apply(lambda x: x - 1, 5))
add = lambda a, b: a + b
print(add(2, 3))
g = greet
g("bob")
k = 10
xs = [1, 2, 3]
label = "n="
h = lambda x: x * k + len(xs)
print(h(4))
print(apply(h, 1))
show = lambda n: label + str(n)
print(show(7))
half = lambda x: x / 2.0
print(half(3))
quad = twice(double)
print(quad(5))
print(twice(lambda x: x + 3)(1))
adders = [lambda x: x + 1, double]
print(adders[0](10), adders[1](10))
to_float = lambda x: float(x * 2)
print(to_float(2))
