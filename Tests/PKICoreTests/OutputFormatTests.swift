import Foundation
@testable import PKICrypto
@testable import PKILifecycle
import Testing

@Suite struct OutputFormatTests {
    @Test func kubeadmsFormatsParse() throws {
        for (argument, expected) in [("text", "text"), ("table", "text"), ("json", "json"), ("yaml", "yaml"),
                                     ("jsonpath={.kind}", "jsonpath"), ("jsonpath-as-json={.kind}", "as-json")] {
            let format = try OutputFormat(argument: argument)
            let name = switch format {
            case .text: "text"
            case .json: "json"
            case .yaml: "yaml"
            case .jsonPath: "jsonpath"
            case .jsonPathAsJSON: "as-json"
            }
            #expect(name == expected, "\(argument)")
        }
    }

    @Test func refusalsNameTheValueAndTheWayOut() {
        for (argument, message) in [
            ("jsonpath", "-o jsonpath needs a template"),
            ("jsonpath-file", "-o jsonpath-file needs a template: -o jsonpath-file=FILE"),
            ("go-template-file=x", "-o go-template-file is not supported"),
            ("wide", "unknown output format \"wide\"; use one of text, json, yaml"),
            ("jsonpath-file=/nonexistent/t", "jsonpath-file /nonexistent/t does not exist"),
        ] {
            #expect(throws: PKIError.self, "\(argument)") { try OutputFormat(argument: argument) }
            do { _ = try OutputFormat(argument: argument) } catch {
                #expect((error as? PKIError)?.message.contains(message) == true, "\(argument): \(error)")
            }
        }
    }

    @Test func gluedOutputFlagsAreSplitUntilDoubleDash() {
        #expect(OutputFormat.separatingGluedOutputFlag(["-ojson", "--cert-dir", "/p"]) == ["-o", "json", "--cert-dir", "/p"])
        #expect(OutputFormat.separatingGluedOutputFlag(["-o=yaml"]) == ["-o", "yaml"])
        #expect(OutputFormat.separatingGluedOutputFlag(["-ojsonpath={.a=b}"]) == ["-o", "jsonpath={.a=b}"])
        #expect(OutputFormat.separatingGluedOutputFlag(["-o", "json", "--output=text"]) == ["-o", "json", "--output=text"])
        #expect(OutputFormat.separatingGluedOutputFlag(["--", "-ojson"]) == ["--", "-ojson"])
    }
}
