#include <oras/registry/connect.hpp>

namespace oras::registry {

http::client_options http_options_for(const connect_options& options) {
    auto o = options.http;
    o.tls.insecure_skip_verify = options.insecure;
    if (!options.ca_file.empty()) {
        // Instead of the system's, as the ORAS CLI's --ca-file: a file given to pin a private
        // CA must not leave every public CA trusted as well.
        o.tls.ca_file = options.ca_file;
        o.tls.use_system_ca = false;
    }
    return o;
}

auth::client client_for(boost::asio::any_io_executor executor, std::string_view registry,
                        const connect_options& options) {
    auto creds = options.credentials;
    creds.registries.emplace_back(registry);
    http::client http(std::move(executor), http_options_for(options));
    return auth::client(std::move(http),
                        auth::client_options{.credentials = auth::default_credentials(creds)});
}

repository_options repository_options_for(const connect_options& options) {
    auto repo_options = options.repository;
    repo_options.plain_http = options.plain_http;
    // Asking for TLS in any way (trust, no verification, a client certificate) means https,
    // also for a loopback registry.
    repo_options.force_https =
        !options.plain_http
        && (options.force_https || options.insecure || !options.ca_file.empty()
            || !options.http.tls.client_certificate_file.empty());
    return repo_options;
}

repository connect(boost::asio::any_io_executor executor, const reference& ref,
                   connect_options options) {
    auto client = client_for(std::move(executor), ref.registry(), options);
    return connect(std::move(client), ref, options);
}

repository connect(auth::client client, const reference& ref, const connect_options& options) {
    return repository(std::move(client), ref.registry(), ref.repository(),
                      repository_options_for(options));
}

}  // namespace oras::registry
