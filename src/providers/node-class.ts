// What a Replicante node_class means to the local provider: the resources its agent offers.
// Core's node_class is "platform specific (such as instance type)": these are drover's instance
// types; any other class is only a label on the machine.

export interface NodeClassResources {
  cpu?: string;
  memory?: string;
}

const CLASSES: Record<string, NodeClassResources> = {
  small: { cpu: '1', memory: '512Mi' },
  medium: { cpu: '2', memory: '2Gi' },
  large: { cpu: '4', memory: '8Gi' },
};

export const NODE_CLASSES: readonly string[] = Object.keys(CLASSES);

export function nodeClassResources(nodeClass: string): NodeClassResources {
  return CLASSES[nodeClass] ?? {};
}
