import FuzzSupport
import PacketlogHost
import ProtocolPlugins

// MARK: - FuzzTemplate
//
// The template module's decoder (UDP port 7): the input as a datagram to
// the port and as one from it. Checked: every committed line holds only
// bytes 0x20–0x7E and ends with exactly one '\n'.

nonisolated(unsafe) var lines: LineEmitter = { fuzzSetUp(); return LineEmitter() }()
nonisolated(unsafe) var template = try! TemplateModule(options: ModuleOptions())

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    for response in [false, true] {
        let packet = PacketContext(time: fuzzTime, source: response ? fuzzServer : fuzzClient,
                                   destination: response ? fuzzClient : fuzzServer,
                                   sourcePort: response ? 7 : 40000, destinationPort: response ? 40000 : 7,
                                   transport: .udp, sourceIsLocal: response, destinationIsLocal: !response, payload: input)
        lines.reset()
        template.decode(packet, into: &lines)
        checkLines(lines, "template")
    }
    return 0
}

#if !PACKETLOG_FUZZING
@main enum Replay { static func main() { FuzzReplay.run(fuzz) } }
#endif
