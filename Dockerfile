# Hotline Monitor: one image for `hotline worker`, `hotline api` and `hotline models bootstrap`.
#   docker build -t hotline-monitor .        (docker compose builds it too: see docker-compose.yml)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOTLINE_STATE_DIR=/var/lib/hotline \
    HOTLINE_RULES_PATH=/etc/hotline/rules.yaml \
    HOTLINE_TAXONOMY_PATH=/etc/hotline/taxonomy.yaml

# A fixed uid/gid, so volumes and host files can be granted to it.
RUN groupadd --system --gid 10001 hotline \
 && useradd --system --uid 10001 --gid hotline --home-dir /var/lib/hotline --no-create-home \
        --shell /usr/sbin/nologin hotline \
 && install -d -o hotline -g hotline -m 0750 /var/lib/hotline

WORKDIR /src

# Dependencies first, listed from pyproject.toml alone: a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies'] + p['optional-dependencies']['asr']))" > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# Then the project itself (a regular, non-editable install; the sources are not kept).
COPY . .
RUN pip install ".[asr]" \
 && install -d -m 0755 /etc/hotline \
 && cp -r config/. /etc/hotline/ \
 && cd / && rm -rf /src

# The installed package cannot find the repository's config/ dir: rules and the taxonomy come from
# /etc/hotline (HOTLINE_RULES_PATH, HOTLINE_TAXONOMY_PATH above; mount a file over one to change it
# without a rebuild).
USER hotline
WORKDIR /var/lib/hotline
EXPOSE 8080

ENTRYPOINT ["hotline"]
CMD ["--help"]
