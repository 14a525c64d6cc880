"""The throughput floor: a WSGI app that answers constant JSON, served by the same gunicorn."""

BODY = b'{"code":"gen-1","name":"\xe7\x94\x9f\xe6\x88\x90\xe9\x83\xa8\xe9\x97\xa81","level":1}'
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
