# orgportal: gunicorn serving the portal, static files collected at build time.
#   docker build -t orgportal .   (docker compose up builds it too; see docs/deploy.md)
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# WeasyPrint, which makes the handbook PDF, needs Pango from the system, and the handbook
# needs a font with Chinese: Noto CJK (simplified and traditional).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

# The dependencies listed in pyproject.toml first, in their own layer, so that a change to the
# code does not reinstall them; at the versions pinned in constraints.txt (`make lock`).
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -c constraints.txt -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Then the project itself. It runs from /app, where templates/, static/, locale/ and data/ live.
COPY . .
RUN pip install --no-deps -e . \
    && scripts/build.sh \
    && useradd --system --no-create-home --home-dir /app --shell /usr/sbin/nologin orgportal

# The code and the static files stay owned by root: the portal only reads them.
USER orgportal
ENV PORT=8000
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "scripts/healthcheck.py"]

CMD ["scripts/start-web.sh"]
