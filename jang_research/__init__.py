"""Mixed-precision quantization of LLMs on MLX: measure, allocate, quantize, run, explore.

```python
from dataclasses import dataclass
from pathlib import Path
from jang_research import backend  # noqa: F401  (first: OpenBLAS is preloaded before anything imports mlx.core)
```

```python
@dataclass
class Model:
    "A float model and what is derived from its weights once: tokenizer, folder, fingerprint, inventory."
    model: object # the mlx-lm model, floating parameters in the compute dtype (fp32 on CPU)
    tokenizer: object # its tokenizer (mlx-lm TokenizerWrapper)
    path: Path # the model folder
    fingerprint: str # model_fingerprint(path): the key of every cache
    inventory: list # inventory(model): every quantizable tensor with its role
    name: str # short name (known model name or folder name)

    def __repr__(self): return f"Model({self.name!r}, {len(self.inventory)} quantizable tensors, {sum(t.n_params for t in self.inventory)/1e6:.1f}M weights)"

def load(name_or_path='smollm2-135m-instruct' # known model name, float model folder or .gguf file
        ) -> Model:
    "Load a float model for measuring and quantizing."
    import json
    from jang_research.models import model_path, load_model, model_fingerprint
    from jang_research.inventory import inventory
    path = model_path(name_or_path)
    model, tok = load_model(path)
    src = path/'jang_source.json'
    name = json.loads(src.read_text()).get('name', path.name) if src.exists() else path.name
    return Model(model, tok, path, model_fingerprint(path), inventory(model), name)
```

```python
def sensitivity(m:Model, bits:tuple=(2, 3, 4, 5, 6, 8), group_sizes:tuple=(64,), methods:tuple=('rtn',), # the options
                shipped:bool=True, # use the table shipped for this model when it matches the weights and options
                calib_windows:int=16, calib_len:int=256, # calibration Hessians (proxy errors; mse/gptq options)
                windows:int=4, window_len:int=128, # windows ΔKL is measured on
                progress:bool=True):
    "Per-tensor sensitivity of `m`: a SensitivityTable of every tensor × option."
    from jang_research.sweep import option_specs, shipped_table, sensitivity_sweep
    from jang_research.calibration import model_hessians
    specs = option_specs(tuple(bits), tuple(group_sizes), tuple(methods))
    table = shipped_table(m.name, m.fingerprint, specs) if shipped else None
    if table is None:
        hs = model_hessians(m.model, m.tokenizer, m.fingerprint, calib_windows, calib_len, progress=progress)
        table = sensitivity_sweep(m.model, m.tokenizer, m.fingerprint, hs, specs, n_windows=windows, window_len=window_len, progress=progress)
    table.inventory = m.inventory
    return table

def allocate(table, target_bpw:float|None=None, # effective bits per quantizable weight ...
             budget_bytes:int|None=None, # ... or bytes of all quantizable tensors
             min_bits:dict|None=None, # role -> smallest bits, e.g. {'embed': 4}
             inventory:list|None=None # the model's inventory (default: the one the table was measured for)
            ):
    "The plan that minimises predicted ΔKL within the budget; what the allocator certified is in `plan.meta`."
    from jang_research.allocation import allocate as exact_allocate
    from jang_research.backend import JangError
    inv = inventory or table.inventory
    if inv is None: raise JangError('this table does not know its model: pass inventory=m.inventory')
    plan, info = exact_allocate(table, inv, target_bpw=target_bpw, budget_bytes=budget_bytes, min_bits=min_bits)
    plan.meta.update(info, recipe=f'allocator at {info["budget_bpw"]:.3f} bpw')
    return plan
```

```python
@dataclass
class Quantized:
    "A quantized model in memory: the source handle, the plan and every tensor's quantized weight."
    source: Model
    plan: object # Plan
    weights: dict # path -> QTensor / TQTensor / float array

def quantize(m:Model, plan, # the float model and the plan to apply
             calib_windows:int=16, calib_len:int=256, # calibration size when a method uses Hessians (mse, gptq, tq_gptq)
             tq_seed:int=0, # base rotation seed of TurboQuant tensors
             progress:bool=True) -> Quantized:
    "Quantize every tensor of `plan` with its own method."
    from jang_research.affine import float_weights, quantize_weights
    from jang_research.calibration import model_hessians
    from jang_research.inventory import validate_plan
    validate_plan(m.inventory, plan)
    needs = {s.method for s in plan.specs.values() if not s.is_float} & {'mse', 'gptq', 'tq_gptq'}
    hs = model_hessians(m.model, m.tokenizer, m.fingerprint, calib_windows, calib_len, progress=progress) if needs else None
    return Quantized(m, plan, quantize_weights(float_weights(m.model), plan, progress=progress, hessians=hs, tq_seed=tq_seed))

def save(q:Quantized, out, # the quantized model, and the bundle folder to create
         force:bool=False, # replace `out` if it is a bundle (anything else is refused)
         notes:dict|None=None # free-form notes for the manifest (default: the plan's recipe)
        ) -> Path:
    "Write `q` as a bundle with its model card; returns the folder."
    from jang_research.bundle import save_bundle, write_model_card
    notes = notes if notes is not None else {k: v for k, v in q.plan.meta.items() if k == 'recipe'}
    path = save_bundle(out, q.source.model, q.weights, q.plan, q.source.path, force=force, notes=notes)
    write_model_card(path)
    return path
```

```python
def evaluate(m:Model, q=None, # the float model; a Quantized, a bundle folder, or None (the float model itself)
             windows:int=16, window_len:int=128, # held-out windows
             label:str|None=None, progress:bool=False) -> dict:
    "Size, bpw, KL mean/p99, top-1, logit MSE and PPL of `q` against the float model (fake-quant fp32), with 95% intervals."
    from jang_research.evaluation import Evaluator
    from jang_research.inventory import plan_bytes, uniform_plan, other_params
    from jang_research.affine import dequantized
    from jang_research.bundle import bundle_fake_params, read_manifest, plan_from_manifest
    from jang_research.cli import summary_row
    ev = Evaluator(m.model, m.tokenizer, m.fingerprint, n_windows=windows, window_len=window_len)
    if q is None: plan, res, label = uniform_plan(m.inventory, None), ev.evaluate(), label or 'float reference'
    elif isinstance(q, Quantized): plan, res = q.plan, ev.evaluate(dequantized(q.weights), progress=progress)
    else: plan, res, label = plan_from_manifest(read_manifest(q)), ev.evaluate(params=bundle_fake_params(q), progress=progress), label or Path(q).name
    return summary_row(label or plan.meta.get('recipe', 'quantized'), plan_bytes(m.inventory, plan, other_params(m.model, m.inventory)), res)

def generate(m, prompt:str, # a Model, a Quantized (run with fake-quant weights) or a bundle folder; the prompt
             max_tokens:int=48, chat:bool|None=None) -> str:
    "Greedy answer to `prompt`."
    from jang_research.bundle import generate_text, load_bundle
    if isinstance(m, Model): return generate_text(m.model, m.tokenizer, prompt, max_tokens, chat)
    if isinstance(m, Quantized):
        from jang_research.affine import dequantized, swapped_weights
        with swapped_weights(m.source.model, dequantized(m.weights)): return generate_text(m.source.model, m.source.tokenizer, prompt, max_tokens, chat)
    model, tok, _ = load_bundle(m)
    return generate_text(model, tok, prompt, max_tokens, chat)

def explore(m:Model, **kw):
    "The interactive explorer on `m`'s model (a copy: the explorer swaps weights in place), with its shipped table when one matches."
    from jang_research.explorer import Explorer
    return Explorer.for_model(m.path, **kw)
```"""

__version__ = "0.0.1"
"""Mixed-precision quantization of LLMs on MLX: measure, allocate, quantize, run, explore."""

# AUTOGENERATED! DO NOT EDIT! File to edit: ../nbs/index.ipynb.

# %% auto #0
__all__ = ['Model', 'load', 'sensitivity', 'allocate', 'Quantized', 'quantize', 'save', 'evaluate', 'generate', 'explore']

# %% ../nbs/index.ipynb #605e37ba
from dataclasses import dataclass
from pathlib import Path
from . import backend  # noqa: F401  (first: OpenBLAS is preloaded before anything imports mlx.core)

# %% ../nbs/index.ipynb #9be33c12
@dataclass
class Model:
    "A float model and what is derived from its weights once: tokenizer, folder, fingerprint, inventory."
    model: object # the mlx-lm model, floating parameters in the compute dtype (fp32 on CPU)
    tokenizer: object # its tokenizer (mlx-lm TokenizerWrapper)
    path: Path # the model folder
    fingerprint: str # model_fingerprint(path): the key of every cache
    inventory: list # inventory(model): every quantizable tensor with its role
    name: str # short name (known model name or folder name)

    def __repr__(self): return f"Model({self.name!r}, {len(self.inventory)} quantizable tensors, {sum(t.n_params for t in self.inventory)/1e6:.1f}M weights)"

def load(name_or_path='smollm2-135m-instruct' # known model name, float model folder or .gguf file
        ) -> Model:
    "Load a float model for measuring and quantizing."
    import json
    from jang_research.models import model_path, load_model, model_fingerprint
    from jang_research.inventory import inventory
    path = model_path(name_or_path)
    model, tok = load_model(path)
    src = path/'jang_source.json'
    name = json.loads(src.read_text()).get('name', path.name) if src.exists() else path.name
    return Model(model, tok, path, model_fingerprint(path), inventory(model), name)

# %% ../nbs/index.ipynb #86f18938
def sensitivity(m:Model, bits:tuple=(2, 3, 4, 5, 6, 8), group_sizes:tuple=(64,), methods:tuple=('rtn',), # the options
                shipped:bool=True, # use the table shipped for this model when it matches the weights and options
                calib_windows:int=16, calib_len:int=256, # calibration Hessians (proxy errors; mse/gptq options)
                windows:int=4, window_len:int=128, # windows ΔKL is measured on
                progress:bool=True):
    "Per-tensor sensitivity of `m`: a SensitivityTable of every tensor × option."
    from jang_research.sweep import option_specs, shipped_table, sensitivity_sweep
    from jang_research.calibration import model_hessians
    specs = option_specs(tuple(bits), tuple(group_sizes), tuple(methods))
    table = shipped_table(m.name, m.fingerprint, specs) if shipped else None
    if table is None:
        hs = model_hessians(m.model, m.tokenizer, m.fingerprint, calib_windows, calib_len, progress=progress)
        table = sensitivity_sweep(m.model, m.tokenizer, m.fingerprint, hs, specs, n_windows=windows, window_len=window_len, progress=progress)
    table.inventory = m.inventory
    return table

def allocate(table, target_bpw:float|None=None, # effective bits per quantizable weight ...
             budget_bytes:int|None=None, # ... or bytes of all quantizable tensors
             min_bits:dict|None=None, # role -> smallest bits, e.g. {'embed': 4}
             inventory:list|None=None # the model's inventory (default: the one the table was measured for)
            ):
    "The plan that minimises predicted ΔKL within the budget; what the allocator certified is in `plan.meta`."
    from jang_research.allocation import allocate as exact_allocate
    from jang_research.backend import JangError
    inv = inventory or table.inventory
    if inv is None: raise JangError('this table does not know its model: pass inventory=m.inventory')
    plan, info = exact_allocate(table, inv, target_bpw=target_bpw, budget_bytes=budget_bytes, min_bits=min_bits)
    plan.meta.update(info, recipe=f'allocator at {info["budget_bpw"]:.3f} bpw')
    return plan

# %% ../nbs/index.ipynb #118413ec
@dataclass
class Quantized:
    "A quantized model in memory: the source handle, the plan and every tensor's quantized weight."
    source: Model
    plan: object # Plan
    weights: dict # path -> QTensor / TQTensor / float array

def quantize(m:Model, plan, # the float model and the plan to apply
             calib_windows:int=16, calib_len:int=256, # calibration size when a method uses Hessians (mse, gptq, tq_gptq)
             tq_seed:int=0, # base rotation seed of TurboQuant tensors
             progress:bool=True) -> Quantized:
    "Quantize every tensor of `plan` with its own method."
    from jang_research.affine import float_weights, quantize_weights
    from jang_research.calibration import model_hessians
    from jang_research.inventory import validate_plan
    validate_plan(m.inventory, plan)
    needs = {s.method for s in plan.specs.values() if not s.is_float} & {'mse', 'gptq', 'tq_gptq'}
    hs = model_hessians(m.model, m.tokenizer, m.fingerprint, calib_windows, calib_len, progress=progress) if needs else None
    return Quantized(m, plan, quantize_weights(float_weights(m.model), plan, progress=progress, hessians=hs, tq_seed=tq_seed))

def save(q:Quantized, out, # the quantized model, and the bundle folder to create
         force:bool=False, # replace `out` if it is a bundle (anything else is refused)
         notes:dict|None=None # free-form notes for the manifest (default: the plan's recipe)
        ) -> Path:
    "Write `q` as a bundle with its model card; returns the folder."
    from jang_research.bundle import save_bundle, write_model_card
    notes = notes if notes is not None else {k: v for k, v in q.plan.meta.items() if k == 'recipe'}
    path = save_bundle(out, q.source.model, q.weights, q.plan, q.source.path, force=force, notes=notes)
    write_model_card(path)
    return path

# %% ../nbs/index.ipynb #7c6103a7
def evaluate(m:Model, q=None, # the float model; a Quantized, a bundle folder, or None (the float model itself)
             windows:int=16, window_len:int=128, # held-out windows
             label:str|None=None, progress:bool=False) -> dict:
    "Size, bpw, KL mean/p99, top-1, logit MSE and PPL of `q` against the float model (fake-quant fp32), with 95% intervals."
    from jang_research.evaluation import Evaluator
    from jang_research.inventory import plan_bytes, uniform_plan, other_params
    from jang_research.affine import dequantized
    from jang_research.bundle import bundle_fake_params, read_manifest, plan_from_manifest
    from jang_research.cli import summary_row
    ev = Evaluator(m.model, m.tokenizer, m.fingerprint, n_windows=windows, window_len=window_len)
    if q is None: plan, res, label = uniform_plan(m.inventory, None), ev.evaluate(), label or 'float reference'
    elif isinstance(q, Quantized): plan, res = q.plan, ev.evaluate(dequantized(q.weights), progress=progress)
    else: plan, res, label = plan_from_manifest(read_manifest(q)), ev.evaluate(params=bundle_fake_params(q), progress=progress), label or Path(q).name
    return summary_row(label or plan.meta.get('recipe', 'quantized'), plan_bytes(m.inventory, plan, other_params(m.model, m.inventory)), res)

def generate(m, prompt:str, # a Model, a Quantized (run with fake-quant weights) or a bundle folder; the prompt
             max_tokens:int=48, chat:bool|None=None) -> str:
    "Greedy answer to `prompt`."
    from jang_research.bundle import generate_text, load_bundle
    if isinstance(m, Model): return generate_text(m.model, m.tokenizer, prompt, max_tokens, chat)
    if isinstance(m, Quantized):
        from jang_research.affine import dequantized, swapped_weights
        with swapped_weights(m.source.model, dequantized(m.weights)): return generate_text(m.source.model, m.source.tokenizer, prompt, max_tokens, chat)
    model, tok, _ = load_bundle(m)
    return generate_text(model, tok, prompt, max_tokens, chat)

def explore(m:Model, **kw):
    "The interactive explorer on `m`'s model (a copy: the explorer swaps weights in place), with its shipped table when one matches."
    from jang_research.explorer import Explorer
    return Explorer.for_model(m.path, **kw)
