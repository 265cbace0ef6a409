"""Load-test a chat endpoint through sseproto; TTFT, stream time, ITL and stalls in Locust's stats.

    sseproto serve spec/transcripts/prediction-guard.jsonl --port 8000 --speed 1 --quiet &
    locust -f examples/locustfile.py --headless -u 50 -r 10 -t 30s --host http://127.0.0.1:8000
"""

from sseproto.contrib.locust import ChatStreamUser

QUESTION = {"model": "Hermes-2-Pro-Llama-3-8B",
            "messages": [{"role": "user", "content": "What is a sans-IO parser?"}]}


class Chat(ChatStreamUser):
    payload = QUESTION
