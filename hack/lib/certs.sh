#!/usr/bin/env bash
# Certificates and kubeconfigs of the local control plane, made with openssl
# only. Source hack/lib/common.sh first.
#
# Two CAs, because front-proxy client certificates must not be signed by the CA
# that --client-ca-file trusts:
#   ca              cluster CA: signs every serving certificate and every client identity
#   front-proxy-ca  trusted only by --requestheader-client-ca-file; signs front-proxy-client
# Keys are EC P-256 (fast to generate); the service-account key is RSA-2048 (RS256 tokens).

CERTS_CONFIG_DIR=${PKI_DIR}/.config

capstan::certs::_config() {
  mkdir -p "${CERTS_CONFIG_DIR}"
  cat >"${CERTS_CONFIG_DIR}/req.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,digitalSignature,keyEncipherment,keyCertSign
subjectKeyIdentifier = hash
EOF
}

# capstan::certs::_ca NAME CN
capstan::certs::_ca() {
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -keyout "${PKI_DIR}/$1.key" -out "${PKI_DIR}/$1.crt" -days 3650 -subj "/CN=$2" \
    -config "${CERTS_CONFIG_DIR}/req.cnf" -extensions v3_ca 2>/dev/null
}

# capstan::certs::_leaf NAME CA SUBJECT EXTENDED_KEY_USAGE [SUBJECT_ALT_NAMES]
capstan::certs::_leaf() {
  local name=$1 ca=$2 subject=$3 usage=$4 sans=${5:-}
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -keyout "${PKI_DIR}/${name}.key" -out "${CERTS_CONFIG_DIR}/${name}.csr" -subj "${subject}" \
    -config "${CERTS_CONFIG_DIR}/req.cnf" 2>/dev/null
  {
    echo "basicConstraints = critical,CA:FALSE"
    echo "keyUsage = critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage = ${usage}"
    echo "authorityKeyIdentifier = keyid,issuer"
    [[ -z ${sans} ]] || echo "subjectAltName = ${sans}"
  } >"${CERTS_CONFIG_DIR}/${name}.ext"
  openssl x509 -req -in "${CERTS_CONFIG_DIR}/${name}.csr" -CA "${PKI_DIR}/${ca}.crt" \
    -CAkey "${PKI_DIR}/${ca}.key" -CAcreateserial -out "${PKI_DIR}/${name}.crt" -days 825 \
    -extfile "${CERTS_CONFIG_DIR}/${name}.ext" 2>/dev/null
}

# capstan::certs::ensure creates the certificates unless a complete set exists;
# keeping them lets a restarted plane reuse its etcd data.
capstan::certs::ensure() {
  [[ -f ${PKI_DIR}/.complete ]] && return 0
  capstan::require_command openssl "to create the local control plane's certificates"
  rm -rf "${PKI_DIR}"
  mkdir -p "${PKI_DIR}"
  chmod 700 "${PKI_DIR}"
  capstan::certs::_config
  capstan::certs::_ca ca capstan-local-ca
  capstan::certs::_ca front-proxy-ca capstan-local-front-proxy-ca
  capstan::certs::_leaf kube-apiserver ca "/CN=kube-apiserver" serverAuth \
    "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:10.0.0.1"
  # The aggregator verifies ServerName <service>.<namespace>.svc, not the dialled host.
  capstan::certs::_leaf capstan-apiserver-serving ca "/CN=capstan-apiserver.capstan-system.svc" serverAuth \
    "DNS:capstan-apiserver.capstan-system.svc,DNS:capstan-apiserver.capstan-system.svc.cluster.local,DNS:localhost,IP:127.0.0.1"
  capstan::certs::_leaf front-proxy-client front-proxy-ca "/CN=front-proxy-client" clientAuth
  capstan::certs::_leaf admin ca "/O=system:masters/CN=capstan-local-admin" clientAuth
  capstan::certs::_leaf kube-controller-manager ca "/CN=system:kube-controller-manager" clientAuth
  capstan::certs::_leaf kube-scheduler ca "/CN=system:kube-scheduler" clientAuth
  capstan::certs::_leaf kwok ca "/CN=kwok-controller" clientAuth
  capstan::certs::_leaf capstan-apiserver ca "/CN=capstan-apiserver" clientAuth
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "${PKI_DIR}/sa.key" 2>/dev/null
  openssl pkey -in "${PKI_DIR}/sa.key" -pubout -out "${PKI_DIR}/sa.pub" 2>/dev/null
  touch "${PKI_DIR}/.complete"
}

# capstan::certs::kubeconfig FILE IDENTITY SERVER writes a kubeconfig that
# authenticates with IDENTITY's client certificate and trusts the cluster CA.
capstan::certs::kubeconfig() {
  local file=$1 identity=$2 server=$3
  mkdir -p "$(dirname "${file}")"
  cat >"${file}" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: capstan-local
  cluster:
    server: ${server}
    certificate-authority-data: $(base64 -w0 <"${PKI_DIR}/ca.crt")
users:
- name: ${identity}
  user:
    client-certificate-data: $(base64 -w0 <"${PKI_DIR}/${identity}.crt")
    client-key-data: $(base64 -w0 <"${PKI_DIR}/${identity}.key")
contexts:
- name: capstan-local
  context:
    cluster: capstan-local
    user: ${identity}
current-context: capstan-local
EOF
  chmod 600 "${file}"
}

# capstan::certs::ensure_etcd creates, unless they exist, the certificates of
# the HA plane's etcd cluster (hack/lib/etcd-cluster.sh): a CA of its own that
# etcd trusts for clients and peers, the members' certificate (serving and
# peer) and capstan-apiserver's client certificate.
capstan::certs::ensure_etcd() {
  [[ -f ${PKI_DIR}/.complete-etcd ]] && return 0
  capstan::require_command openssl "to create the etcd cluster's certificates"
  capstan::certs::_config
  capstan::certs::_ca etcd-ca capstan-local-etcd-ca
  capstan::certs::_leaf etcd-member etcd-ca "/CN=capstan-etcd" serverAuth,clientAuth "DNS:localhost,IP:127.0.0.1"
  capstan::certs::_leaf capstan-apiserver-etcd-client etcd-ca "/CN=capstan-apiserver" clientAuth
  touch "${PKI_DIR}/.complete-etcd"
}
