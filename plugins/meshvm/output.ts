// The apiVersion of meshvm's documents.
import { outputApiVersion } from '../../shared/output/api.js';

/** Our own documents (-o json|yaml of read commands): a group of ours, never core v1. */
export const API_VERSION = outputApiVersion('meshvm');
