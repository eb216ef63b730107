import PacketlogHost

// MARK: - The registry

/// Every protocol module packetlog knows, in one list. Adding a module is
/// one folder under `ProtocolPlugins/` plus one line here.
public let registeredModules: [any PacketlogModule.Type] = [
    DNSModule.self,
    HTTPModule.self,
    TemplateModule.self,
]
