// MARK: - ModuleDispatch

/// What the engine calls once per decoded packet: one module
/// (`ModuleRunner`) or several (`ModuleChain`). Built once at start-up from
/// the registry's existential types and then used as a concrete generic
/// type, so the per-packet path calls concrete code.
public protocol ModuleDispatch {
    /// The modules in order; a line's `module` index points into this.
    var descriptors: [ModuleDescriptor] { get }
    /// Hands the packet to every module that wants it. Returns whether any did.
    mutating func dispatch(_ packet: PacketContext, into lines: inout LineEmitter) -> Bool
    /// Ends every TCP stream (end of input): unfinished messages are counted.
    mutating func finish()
    /// Per module: its name and counters.
    var counters: [(module: String, values: [(name: String, value: UInt64)])] { get }
    /// The union of the modules' BPF filters.
    var filter: String { get }
    /// Whether every module's datagrams are independent
    /// (`PacketlogModule.datagramsAreIndependent`).
    static var datagramsAreIndependent: Bool { get }
}

// MARK: - ModuleRunner

/// One module with its own TCP reassembler (each module consumes its own
/// streams) and its index among the run's modules.
public struct ModuleRunner<Module: PacketlogModule>: ModuleDispatch {
    public var module: Module
    public let index: Int
    @usableFromInline let reassembler: TCPReassembler?

    public init(module: Module, index: Int, tcpReassembly: Bool, limits: TCPReassemblyLimits) {
        self.module = module
        self.index = index
        self.reassembler = tcpReassembly && Module.readsTCPStreams ? TCPReassembler(limits: limits) : nil
    }

    public var descriptors: [ModuleDescriptor] { [Module.descriptor] }
    public var filter: String { module.filter }
    public static var datagramsAreIndependent: Bool { Module.datagramsAreIndependent }

    @inlinable
    public mutating func dispatch(_ packet: PacketContext, into lines: inout LineEmitter) -> Bool {
        guard module.wants(packet) else { return false }
        lines.module = index
        if packet.isTCP, let reassembler {
            reassembler.process(packet) { stream in
                var segment = packet
                segment.streamStart = reassembler.deliversStreamStart
                return module.decodeStream(segment, stream: stream, into: &lines)
            }
        } else {
            module.decode(packet, into: &lines)
        }
        return true
    }

    public mutating func finish() { reassembler?.finishAll() }

    public var counters: [(module: String, values: [(name: String, value: UInt64)])] {
        var values = module.counters
        if let r = reassembler?.statistics {
            values.append(("tcp-streams", r.streams))
            values.append(("tcp-unfinished-streams", r.unfinishedStreams))
            values.append(("tcp-discarded-bytes", r.discardedBytes))
            values.append(("tcp-evicted", r.evictedByFlowCap + r.evictedByByteCap))
            values.append(("tcp-idle-ended", r.endedByIdle))
        }
        return [(Module.descriptor.name, values)]
    }
}

// MARK: - ModuleChain

/// Two dispatches one after the other: `ModuleChain<ModuleChain<A, B>, C>`
/// runs three modules, each packet offered to each in order.
public struct ModuleChain<Head: ModuleDispatch, Tail: ModuleDispatch>: ModuleDispatch {
    public var head: Head
    public var tail: Tail
    public init(_ head: Head, _ tail: Tail) { self.head = head; self.tail = tail }

    public var descriptors: [ModuleDescriptor] { head.descriptors + tail.descriptors }
    public var filter: String { "(\(head.filter)) or (\(tail.filter))" }
    public static var datagramsAreIndependent: Bool { Head.datagramsAreIndependent && Tail.datagramsAreIndependent }

    @inlinable
    public mutating func dispatch(_ packet: PacketContext, into lines: inout LineEmitter) -> Bool {
        let a = head.dispatch(packet, into: &lines)
        let b = tail.dispatch(packet, into: &lines)
        return a || b
    }

    public mutating func finish() { head.finish(); tail.finish() }
    public var counters: [(module: String, values: [(name: String, value: UInt64)])] { head.counters + tail.counters }
}

// MARK: - Building from the registry

public enum ModuleDispatchBuilder {
    /// Creates the modules and chains them; the result is opened once by
    /// the caller to run the engine with its concrete type.
    public static func build(_ types: [any PacketlogModule.Type], options: [String: ModuleOptions],
                             tcpReassembly: Bool, limits: TCPReassemblyLimits) throws -> any ModuleDispatch {
        precondition(!types.isEmpty)
        func runner<M: PacketlogModule>(_ type: M.Type, _ index: Int) throws -> any ModuleDispatch {
            var moduleOptions = options[M.descriptor.name] ?? ModuleOptions()
            moduleOptions.streamBytesPerFlow = limits.maxBytesPerFlow
            let module = try M(options: moduleOptions)
            return ModuleRunner(module: module, index: index, tcpReassembly: tcpReassembly, limits: limits)
        }
        func chain<H: ModuleDispatch>(_ head: H, _ next: any ModuleDispatch) -> any ModuleDispatch {
            func open<T: ModuleDispatch>(_ tail: T) -> any ModuleDispatch { ModuleChain(head, tail) }
            return open(next)
        }
        var result = try runner(types[0], 0)
        for (index, type) in types.enumerated().dropFirst() {
            result = chain(result, try runner(type, index))
        }
        return result
    }
}
