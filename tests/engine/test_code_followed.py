"""The cache key follows the constants a helper reads however the experiment reaches it: through
a submodule's attribute, a `functools.wraps` decorator, `functools.cache`, or an inherited
method (each of these was served a stale cached result when the constant changed)."""

import importlib
import sys

import pytest

from reportgen.engine.registry import _walk

HELPERS = '''
import functools
K = 7
def plain(): return K
def deco(f):
    @functools.wraps(f)
    def inner(*a): return f(*a)
    return inner
@deco
def wrapped(): return K + 1
@functools.cache
def cached(): return K + 2
class Base:
    def value(self): return K + 3
class Child(Base):
    pass
'''
EXPERIMENTS = '''
import followpkg.helpers
from followpkg.helpers import wrapped, cached, Child
def through_submodule(data): return followpkg.helpers.plain()
def decorated(data): return wrapped()
def memoised(data): return cached()
def inherited(data): return Child().value()
'''


@pytest.fixture
def experiments(tmp_path, monkeypatch):
    package = tmp_path / "followpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text(HELPERS)
    (package / "exp.py").write_text(EXPERIMENTS)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module("followpkg.exp")
    for name in [m for m in sys.modules if m.startswith("followpkg")]:
        del sys.modules[name]


@pytest.mark.parametrize("name", ["through_submodule", "decorated", "memoised", "inherited"])
def test_the_constant_a_helper_reads_is_followed(experiments, name):
    found, _ = _walk(getattr(experiments, name))
    assert found["followpkg.helpers.K"] == "K = 7"
