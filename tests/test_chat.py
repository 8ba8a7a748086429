"""`jang-research chat` as a person uses it: Ctrl-C in the middle of a reply returns to the prompt with the
conversation as before, and a model without a chat template falls back to a plain transcript and says so."""
import json, signal, subprocess, sys, threading, time
from pathlib import Path

EXE = Path(sys.executable).with_name('jang-research')

class Session:
    "A chat process whose output is collected by a thread, so the test can wait for text to appear."
    def __init__(self, *args):
        self.p = subprocess.Popen([str(EXE), 'chat', *map(str, args)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.out = ''
        threading.Thread(target=self._read, daemon=True).start()
    def _read(self):
        for ch in iter(lambda: self.p.stdout.read(1), ''): self.out += ch
    def send(self, line):
        self.p.stdin.write(line + '\n')
        self.p.stdin.flush()
    def wait_for(self, text, after=0, timeout=300):
        t = time.time()
        while text not in self.out[after:]:
            assert time.time() - t < timeout and self.p.poll() is None, f'no {text!r} in:\n{self.out[-3000:]}'
            time.sleep(0.05)
        return self.out.index(text, after) + len(text)

def test_ctrl_c_stops_a_reply_and_returns_to_the_prompt():
    s = Session('--max-tokens', '2000')
    at = s.wait_for('you> ')
    s.send('Write a very long story about a lighthouse keeper.')
    started = at
    while len(s.out) < started + 40: time.sleep(0.05)   # the reply is streaming
    s.p.send_signal(signal.SIGINT)
    at = s.wait_for('[interrupted', started)
    at = s.wait_for('you> ', at)
    s.send('What is the capital of France?')   # the conversation goes on: the interrupted turn was dropped
    at = s.wait_for('tok/s)', at)
    s.send('/quit')
    assert s.p.wait(timeout=120) == 0, s.out[-3000:]
    assert 'Paris' in s.out[at - 400:] and 'Traceback' not in s.out

def test_a_model_without_a_chat_template_falls_back_to_plain_text(tmp_path):
    from jang_research.models import prepare_model
    from jang_research.testing import tiny_folder
    f = tiny_folder('llama', tmp_path/'no-template', prepare_model('smollm2-135m-instruct', progress=False))
    cfg = json.loads((f/'tokenizer_config.json').read_text())
    cfg.pop('chat_template', None)
    (f/'tokenizer_config.json').write_text(json.dumps(cfg))
    (f/'chat_template.jinja').unlink(missing_ok=True)
    r = subprocess.run([str(EXE), 'chat', '--model', str(f), '--max-tokens', '4'], input='Hello\n/quit\n', capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert 'no chat template: the conversation is sent as a plain User:/Assistant: transcript' in r.stdout and 'tok/s)' in r.stdout
