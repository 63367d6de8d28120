#include <oras/registry/connect.hpp>

namespace oras::registry {

http::client_options http_options_for(const connect_options& options) {
    auto o = options.http;
    o.tls.insecure_skip_verify = options.insecure;
    if (!options.ca_file.empty()) {
        o.tls.ca_file = options.ca_file;
    }
    return o;
}

repository connect(boost::asio::any_io_executor executor, const reference& ref,
                   connect_options options) {
    auto creds = options.credentials;
    creds.registries.push_back(ref.registry());
    http::client http(std::move(executor), http_options_for(options));
    auth::client client(std::move(http),
                        auth::client_options{.credentials = auth::default_credentials(creds)});
    return connect(std::move(client), ref, options);
}

repository connect(auth::client client, const reference& ref, const connect_options& options) {
    auto repo_options = options.repository;
    repo_options.plain_http = options.plain_http;
    repo_options.force_https =
        !options.plain_http && (options.insecure || !options.ca_file.empty());
    return repository(std::move(client), ref.registry(), ref.repository(), repo_options);
}

}  // namespace oras::registry
