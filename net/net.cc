// Placeholder translation unit: the network layer (bridges, veth, OVS,
// IPAM, dnsmasq, nftables) arrives with its own issue. The library target
// exists now so that the layering of DESIGN.md is fixed in the build.
namespace rampart::net {
int LayerVersion() { return 0; }
}  // namespace rampart::net
