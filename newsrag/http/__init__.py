"""The HTTP API around a ``newsrag.Chatbot``.

    server       the FastAPI app (routes, errors as one line of JSON, uploads, the UI under /ui), serve()
    openai_api   the OpenAI-compatible /v1/chat/completions and /v1/models
    guard        bearer key and body limits, before any route runs
    api_models   the request and response bodies /openapi.json publishes
"""
