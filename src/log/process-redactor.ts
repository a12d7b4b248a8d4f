// The process's one Redactor: the CLI's error boundary and every command share it, so a secret
// registered anywhere is hidden everywhere.
import { Redactor } from './redactor.ts';

export const processRedactor = new Redactor();
